import { describe, expect, it } from "vitest";
import type { BatchResults, LineResult } from "./api.js";
import { CLOCK_SKEW_MS, type ListedBatch, notOurs, reconcile } from "./reconcile.js";

const AT = 1_800_000_000_000;
const intent = { local: "dgb_1", at: AT, requests: ["a-0", "b-0"] };
const ok: LineResult = { ok: true, body: {} };
const results = (ids: string[]): BatchResults => ({
  lines: new Map(ids.map((id) => [id, ok])),
  malformed: 0,
});

async function* list(batches: ListedBatch[], read: string[]) {
  for (const b of batches) {
    read.push(b.id);
    yield b;
  }
}

describe("finding a batch created but never journaled", () => {
  it("takes an ended batch only when its custom_ids are exactly the intent's", async () => {
    const read: string[] = [];
    const answers: Record<string, string[]> = { x: ["a-0", "z-0"], y: ["b-0", "a-0"] };
    const found = await reconcile(
      intent,
      new Set(),
      list(
        [
          { id: "x", createdAt: AT + 1000, total: 2, ended: true },
          { id: "y", createdAt: AT + 500, total: 2, ended: true },
        ],
        read,
      ),
      async (id) => results(answers[id]!),
    );
    expect(found).toEqual({ batchId: "y", provisional: false });
  });

  it("skips batches of another size, journaled ones and ones far later; stops at older ones", async () => {
    const read: string[] = [];
    const found = await reconcile(
      intent,
      new Set(["known"]),
      list(
        [
          { id: "later", createdAt: AT + 3_600_000, total: 2, ended: false },
          { id: "bigger", createdAt: AT + 100, total: 3, ended: false },
          { id: "known", createdAt: AT + 50, total: 2, ended: false },
          { id: "old", createdAt: AT - CLOCK_SKEW_MS - 1, total: 2, ended: false },
          { id: "older", createdAt: AT - 2 * CLOCK_SKEW_MS, total: 2, ended: false },
        ],
        read,
      ),
      async () => results([]),
    );
    expect(found).toBeUndefined();
    // The listing is newest first: nothing past the first batch older than the window is read.
    expect(read).toEqual(["later", "bigger", "known", "old"]);
  });

  it("of running candidates, takes the first created after the intent, provisionally", async () => {
    const found = await reconcile(
      intent,
      new Set(),
      list(
        [
          { id: "second", createdAt: AT + 900, total: 2, ended: false },
          { id: "first", createdAt: AT + 200, total: 2, ended: false },
          { id: "skewed", createdAt: AT - 1000, total: 2, ended: false },
        ],
        [],
      ),
      async () => results([]),
    );
    expect(found).toEqual({ batchId: "first", provisional: true });
  });

  it("an ended batch is not ours when it answered lines and none carries our ids", () => {
    expect(notOurs(["a-0"], results(["q-0"]))).toBe(true);
    expect(notOurs(["a-0"], results(["q-0", "a-0"]))).toBe(false);
    expect(notOurs(["a-0"], results([]))).toBe(false);
  });
});
