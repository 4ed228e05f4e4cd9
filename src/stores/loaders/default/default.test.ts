import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, DataFileError } from "../../../errors.js";
import { DefaultDatastore } from "../../default/index.js";
import { DefaultDataloader } from "./index.js";

function seedStore(): DefaultDatastore {
  const dir = mkdtempSync(join(tmpdir(), "digit-loader-"));
  writeFileSync(join(dir, "a.jsonl"), '{"q":"a1"}\n{"q":"a2"}\n{"q":"a3"}\n');
  writeFileSync(join(dir, "b.jsonl"), '{"q":"b1"}\n{"q":"b2"}\n');
  return new DefaultDatastore({
    type: "default",
    store_name: "seeds",
    data: [{ q: "i1" }],
    data_path: join(dir, "*.jsonl"),
  });
}

async function drain(loader: DefaultDataloader, max = 100): Promise<(string | undefined)[]> {
  const out: (string | undefined)[] = [];
  for (let i = 0; i < max; i++) {
    const r = await loader.next();
    out.push(r === undefined ? undefined : String(r.q));
    if (r === undefined) break;
  }
  return out;
}

describe("default dataloader", () => {
  it("reads every source in order, then signals the end once per pass", async () => {
    const loader = new DefaultDataloader({ type: "default", datastore: seedStore() });
    expect(await drain(loader)).toEqual(["i1", "a1", "a2", "a3", "b1", "b2", undefined]);
    expect(await loader.next()).toBeUndefined(); // not looping: stays at the end
  });

  it("wraps around with loop_over, yielding undefined exactly once between passes", async () => {
    const loader = new DefaultDataloader({
      type: "default",
      datastore: seedStore(),
      loop_over: true,
    });
    const seen: (string | undefined)[] = [];
    for (let i = 0; i < 15; i++) seen.push((await loader.next())?.q as string | undefined);
    expect(seen).toEqual([
      "i1",
      "a1",
      "a2",
      "a3",
      "b1",
      "b2",
      undefined,
      "i1",
      "a1",
      "a2",
      "a3",
      "b1",
      "b2",
      undefined,
      "i1",
    ]);
  });

  it("saves and restores {iter_index, row_index} exactly, across sources", async () => {
    const store = seedStore();
    const first = new DefaultDataloader({ type: "default", datastore: store, loop_over: true });
    for (let i = 0; i < 3; i++) await first.next();
    const state = first.getState();
    expect(state).toEqual({ iter_index: 1, row_index: 2 });
    const resumed = new DefaultDataloader({ type: "default", datastore: store, loop_over: true });
    resumed.setState(JSON.parse(JSON.stringify(state)));
    expect(await drain(resumed)).toEqual(["a3", "b1", "b2", undefined]);
    expect(resumed.getState()).toEqual({ iter_index: 0, row_index: 0 });
    // At the boundary between sources.
    const edge = new DefaultDataloader({ type: "default", datastore: store });
    edge.setState({ iter_index: 1, row_index: 3 });
    expect(await drain(edge)).toEqual(["b1", "b2", undefined]);
    // Past the end: the pass is over.
    const past = new DefaultDataloader({ type: "default", datastore: store });
    past.setState({ iter_index: 9, row_index: 0 });
    expect(await past.next()).toBeUndefined();
  });

  it("remaps fields: '*' keeps the rest, dot paths read and write nested values", async () => {
    const store = new DefaultDatastore({
      type: "default",
      store_name: "s",
      data: [{ text: "t", meta: { lang: "en", tags: ["x", "y"] } }],
    });
    const keep = new DefaultDataloader({
      type: "default",
      datastore: store,
      fields: { "*": "*", text: "content", "meta.tags[1]": "out.second" },
    });
    expect(await keep.next()).toEqual({
      text: "t",
      meta: { lang: "en", tags: ["x", "y"] },
      content: "t",
      out: { second: "y" },
    });
    const only = new DefaultDataloader({
      type: "default",
      datastore: store,
      fields: { "meta.lang": "language" },
    });
    expect(await only.next()).toEqual({ language: "en" });
    const same = new DefaultDataloader({ type: "default", datastore: store, fields: { "*": "*" } });
    expect(await same.next()).toEqual({ text: "t", meta: { lang: "en", tags: ["x", "y"] } });
    const missing = new DefaultDataloader({
      type: "default",
      datastore: store,
      fields: { nope: "x" },
    });
    await expect(missing.next()).rejects.toThrow(DataFileError);
    await expect(
      new DefaultDataloader({ type: "default", datastore: store, fields: { nope: "x" } }).next(),
    ).rejects.toThrow(/record 1 of inline data of 's' has no field 'nope'/);
    expect(
      () => new DefaultDataloader({ type: "default", datastore: store, fields: { "a[": "b" } }),
    ).toThrow(ConfigError);
  });

  it("gives rows that are not records as { value }, so fields can pick CSV cells", async () => {
    const dir = mkdtempSync(join(tmpdir(), "digit-loader-"));
    writeFileSync(join(dir, "p.csv"), "What?,Because\n");
    const store = new DefaultDatastore({
      type: "default",
      store_name: "s",
      data_path: join(dir, "p.csv"),
    });
    const loader = new DefaultDataloader({
      type: "default",
      datastore: store,
      fields: { "value[0]": "question", "value[1]": "answer" },
    });
    expect(await loader.next()).toEqual({ question: "What?", answer: "Because" });
  });

  it("hands out copies of inline seeds, so enriching a row does not change the next pass", async () => {
    const store = new DefaultDatastore({
      type: "default",
      store_name: "s",
      data: [{ q: "a", n: { x: 1 } }],
    });
    const loader = new DefaultDataloader({ type: "default", datastore: store, loop_over: true });
    const row = (await loader.next())!;
    (row.n as { x: number }).x = 99;
    row.extra = true;
    await loader.next();
    expect(await loader.next()).toEqual({ q: "a", n: { x: 1 } });
  });

  it("nextBatch gives what as many next() calls give: rows, the end of each pass, and states", async () => {
    const dir = mkdtempSync(join(tmpdir(), "digit-loader-"));
    const big = Array.from({ length: 2500 }, (_, i) => `{"q":"c${i}"}`).join("\n");
    writeFileSync(join(dir, "c.jsonl"), `${big}\n`);
    const store = () =>
      new DefaultDatastore({
        type: "default",
        store_name: "seeds",
        data: [{ q: "i1" }, { q: "i2" }],
        data_path: [join(dir, "c.jsonl"), join(dir, "c.jsonl")],
      });
    for (const loop_over of [false, true]) {
      const one = new DefaultDataloader({ type: "default", datastore: store(), loop_over });
      const many = new DefaultDataloader({ type: "default", datastore: store(), loop_over });
      const sizes = [1, 3, 1000, 7, 4000, 2, 999, 5000];
      for (let step = 0; step < 12; step++) {
        const max = sizes[step % sizes.length]!;
        const want: (string | undefined)[] = [];
        let ended = false;
        while (want.length < max && !ended) {
          const r = await one.next();
          if (r === undefined) ended = true;
          else want.push(String(r.q));
        }
        const got = await many.nextBatch(max);
        expect(got.rows.map((r) => String(r.q))).toEqual(want);
        expect(got.end).toBe(ended);
        expect(many.getState()).toEqual(one.getState());
        if (step === 5) {
          // Resume mid-file from a saved state.
          const state = { iter_index: 1, row_index: 1234 };
          one.setState(state);
          many.setState(state);
        }
      }
    }
  });
});
