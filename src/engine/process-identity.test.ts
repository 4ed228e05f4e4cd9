import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bootId, isOtherProcess, processStartTicks } from "./process-identity.js";

/** A fake /proc with one process whose command name holds spaces and parentheses. */
function fakeProc(pid: number, comm: string, startTicks: string, boot: string): string {
  const root = mkdtempSync(join(tmpdir(), "digit-proc-"));
  mkdirSync(join(root, String(pid)));
  mkdirSync(join(root, "sys/kernel/random"), { recursive: true });
  // Fields 3..21 are filler; field 22 is the start time.
  const fields = [
    "S",
    ...Array.from({ length: 18 }, (_, i) => String(i + 1)),
    startTicks,
    "3133440",
    "406",
  ];
  writeFileSync(join(root, String(pid), "stat"), `${pid} (${comm}) ${fields.join(" ")}\n`);
  writeFileSync(join(root, "sys/kernel/random/boot_id"), `${boot}\n`);
  return root;
}

describe("process identity", () => {
  it("reads field 22 of stat even when the command name holds ') ' and spaces", () => {
    const root = fakeProc(42, "evil) 1 2 3 (x", "987654", "boot-a");
    expect(processStartTicks(42, root)).toBe("987654");
    expect(bootId(root)).toBe("boot-a");
    expect(processStartTicks(43, root)).toBeUndefined();
  });

  it("tells a reused pid apart by start time or boot id, and never guesses when a part is unknown", () => {
    const root = fakeProc(42, "node", "1000", "boot-a");
    expect(isOtherProcess(42, { startTicks: "1000", bootId: "boot-a" }, root)).toBe(false);
    expect(isOtherProcess(42, { startTicks: "999", bootId: "boot-a" }, root)).toBe(true);
    expect(isOtherProcess(42, { startTicks: "1000", bootId: "boot-b" }, root)).toBe(true);
    expect(isOtherProcess(42, {}, root)).toBe(false);
    expect(isOtherProcess(7, { startTicks: "1" }, root)).toBe(false);
  });
});
