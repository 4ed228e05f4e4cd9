import { describe, expect, expectTypeOf, it } from "vitest";
import { derivedFrom } from "../../../config/source-map.js";
import { parseYaml } from "../../../config/yaml.js";
import { ConfigError } from "../../../errors.js";
import { DefaultDatastore } from "../../default/index.js";
import { DefaultDataloader } from "../default/index.js";
import { SimpleDataloader } from "./index.js";

const store = new DefaultDatastore({
  type: "default",
  store_name: "s",
  data: [{ q: 1 }, { q: 2 }],
});

describe("simple dataloader", () => {
  it("loops over its data by default, with one undefined per pass", async () => {
    const loader = new SimpleDataloader({
      type: "simple",
      datastore: store,
      data: [{ q: "x" }, { q: "y" }],
    });
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
    const loader = new SimpleDataloader({
      type: "simple",
      datastore: store,
      fields: { q: "question" },
    });
    expect(await loader.next()).toEqual({ question: 1 });
    expect(
      () => new SimpleDataloader({ type: "simple", datastore: store, data: { q: 1 } }),
    ).toThrow(ConfigError);
  });

  it("owns its loop_over default in its schema (true), unlike the default loader (false)", () => {
    const simple = new SimpleDataloader({ type: "simple", datastore: store });
    expect(simple.config.loop_over).toBe(true);
    expectTypeOf(simple.config.loop_over).toEqualTypeOf<boolean>();
    expectTypeOf(simple.config.data).toEqualTypeOf<unknown[] | undefined>();
    expect(new DefaultDataloader({ type: "default", datastore: store }).config.loop_over).toBe(
      false,
    );
  });

  it("reports a mistyped key value with the file and line it was written on", () => {
    const dl = parseYaml("type: simple\nloop_over: sometimes\n", "task.yaml") as Record<
      string,
      unknown
    >;
    const error = (() => {
      try {
        // As a task builds it: the loaded `dataloader:` mapping plus the datastore.
        new SimpleDataloader(derivedFrom({ ...dl, datastore: store }, dl));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ file: "task.yaml", line: 2 });
    expect((error as Error).message).toMatch(/loop_over.*true or false/);
  });
});
