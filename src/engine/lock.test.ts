import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { OutputLockedError } from "../errors.js";
import { acquireLock } from "./lock.js";
import { processStartTicks } from "./process-identity.js";

const linux = processStartTicks(process.pid) !== undefined;

describe("output folder lock", () => {
  it("records pid, host, start time and boot id, and removes the file on release", () => {
    const dir = mkdtempSync(join(tmpdir(), "digit-lock-"));
    const release = acquireLock(dir);
    const lock = JSON.parse(readFileSync(join(dir, ".digit.lock"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(lock.pid).toBe(process.pid);
    expect(lock.host).toBe(hostname());
    if (linux) expect(lock.startTicks).toBe(processStartTicks(process.pid));
    release();
    expect(existsSync(join(dir, ".digit.lock"))).toBe(false);
  });

  it("never takes over a lock written on another host", () => {
    const dir = mkdtempSync(join(tmpdir(), "digit-lock-"));
    writeFileSync(
      join(dir, ".digit.lock"),
      JSON.stringify({
        pid: 999_999_999,
        host: `not-${hostname()}`,
        started: "2026-01-01T00:00:00.000Z",
      }),
    );
    expect(() => acquireLock(dir)).toThrow(OutputLockedError);
    expect(() => acquireLock(dir)).toThrow(/on host 'not-/);
  });

  it.skipIf(!linux)("takes over a lock from another boot even when its pid is alive", async () => {
    const dir = mkdtempSync(join(tmpdir(), "digit-lock-"));
    const other = spawn("sleep", ["30"]);
    try {
      writeFileSync(
        join(dir, ".digit.lock"),
        JSON.stringify({
          pid: other.pid,
          host: hostname(),
          startTicks: processStartTicks(other.pid!),
          bootId: "an-earlier-boot",
        }),
      );
      acquireLock(dir)();
    } finally {
      other.kill("SIGKILL");
    }
  });
});
