import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { acquireLock } from "../../src/engine/lock.js";
import { processStartTicks } from "../../src/engine/process-identity.js";
import { OutputLockedError } from "../../src/errors.js";

const linux = processStartTicks(process.pid) !== undefined;

describe.skipIf(!linux)("run lock: a reused pid", () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill("SIGKILL");
  });

  /** A live process that is not a digit run: the pid a stale lock names after the pid was reused. */
  function liveStranger(): number {
    const c = spawn("sleep", ["30"]);
    children.push(c);
    return c.pid!;
  }

  it("a lock naming a live pid whose start time differs from the recorded one is taken over", () => {
    const dir = mkdtempSync(join(tmpdir(), "digit-lock-"));
    const pid = liveStranger();
    const recorded = String(Number(processStartTicks(pid)) - 1000);
    writeFileSync(join(dir, ".digit.lock"), JSON.stringify({ pid, host: hostname(), started: "2026-01-01T00:00:00.000Z", startTicks: recorded }));
    const release = acquireLock(dir);
    expect((JSON.parse(readFileSync(join(dir, ".digit.lock"), "utf8")) as { pid: number }).pid).toBe(process.pid);
    release();
  });

  it("a lock naming a live pid with the same start time is refused, naming the holder, the lock file and the override", () => {
    const dir = mkdtempSync(join(tmpdir(), "digit-lock-"));
    const pid = liveStranger();
    const since = "2026-01-01T00:00:00.000Z";
    const file = join(dir, ".digit.lock");
    writeFileSync(file, JSON.stringify({ pid, host: hostname(), started: since, startTicks: processStartTicks(pid) }));
    let err: unknown;
    try {
      acquireLock(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OutputLockedError);
    const e = err as OutputLockedError;
    expect(e.code).toBe("DIGIT_OUTPUT_LOCKED");
    expect(e.message).toContain(`pid ${pid}`);
    expect(e.message).toContain(`on host '${hostname()}'`);
    expect(e.message).toContain(`since ${since}`);
    expect(e.message).toContain(file);
    expect(e.hint).toContain(`rm '${file}'`);
    // The refused run left the holder's lock as it was.
    expect((JSON.parse(readFileSync(file, "utf8")) as { pid: number }).pid).toBe(pid);
  });
});
