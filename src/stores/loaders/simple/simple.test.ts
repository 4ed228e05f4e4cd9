import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../errors.js";
import { DefaultDatastore } from "../../default/index.js";
import { SimpleDataloader } from "./index.js";

const store = new DefaultDatastore({ type: "default", store_name: "s", data: [{ q: 1 }, { q: 2 }] });

describe("simple dataloader", () => {
  it("loops over its data by default, with one undefined per pass", async () => {
    const loader = new SimpleDataloader({ type: "simple", datastore: store, data: [{ q: "x" }, { q: "y" }] });
    const seen = [];
    for (let i = 0; i < 7; i++) seen.push((await loader.next())?.q);
    expect(seen).toEqual(["x", "y", undefined, "x", "y", undefined, "x"]);
  });

  it("reads the datastore when selected from a task (no data), and resumes from its state", async () => {
    const loader = new SimpleDataloader({ type: "simple", datastore: store, loop_over: false });
    expect(await loader.next()).toEqual({ q: 1 });
    expect(loader.getState()).toEqual({ iter_index: 0, row_index: 1 });
    const again = new SimpleDataloader({ type: "simple", datastore: store, loop_over: false });
    again.setState(loader.getState());
    expect(await again.next()).toEqual({ q: 2 });
    expect(await again.next()).toBeUndefined();
    expect(await again.next()).toBeUndefined();
  });

  it("applies fields and rejects bad data", async () => {
    const loader = new SimpleDataloader({ type: "simple", datastore: store, fields: { q: "question" } });
    expect(await loader.next()).toEqual({ question: 1 });
    expect(() => new SimpleDataloader({ type: "simple", datastore: store, data: { q: 1 } })).toThrow(ConfigError);
  });
});
