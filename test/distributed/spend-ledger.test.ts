import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisConnection } from "../../src/engine/executor/bullmq/protocol.js";
import { RedisSpendLedger, spendKey } from "../../src/engine/executor/bullmq/spend-ledger.js";
import { redisSkipReason, startRedis, type TestRedis } from "../support/redis.js";

const skip = redisSkipReason();

describe.skipIf(skip !== "")("RedisSpendLedger (real redis-server)", () => {
  let server: TestRedis;
  const clients: Redis[] = [];
  beforeAll(async () => {
    server = await startRedis();
    for (let i = 0; i < 3; i++) clients.push(new Redis(redisConnection(server.url)));
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await server?.stop();
  });

  it("lets concurrent reservations from several connections take the cap exactly once", async () => {
    const key = spendKey("race");
    const caps = { run: 0.1, tasks: { "t/a": 0.03 } };
    const ledgers = clients.map((c) => new RedisSpendLedger(c, key, caps));
    const tries = Array.from({ length: 60 }, (_, i) =>
      ledgers[i % ledgers.length]!.reserve(0.01, i % 2 ? ["t/a"] : ["t/b"]),
    );
    const refusals = await Promise.all(tries);
    const granted = refusals.filter((r) => r === undefined).length;
    // Ten fit under the run cap, of which three for task t/a (its own cap).
    expect(granted).toBe(10);
    expect(refusals.find((r) => r && "task" in r.scope)).toMatchObject({
      scope: { task: "t/a" },
      cap: 0.03,
    });
    expect(refusals.find((r) => r && "run" in r.scope)).toMatchObject({ cap: 0.1, spent: 0 });
    const totals = await ledgers[0]!.totals();
    expect(totals.reserved).toBeCloseTo(0.1, 9);
    // Settling frees the reservation and counts what was really spent, per task.
    await ledgers[1]!.settle(0.01, 0.004, ["t/a"]);
    await ledgers[2]!.addEarlier("t/b", 0.5);
    const after = await ledgers[0]!.totals();
    expect(after.reserved).toBeCloseTo(0.09, 9);
    expect(after.spent).toBeCloseTo(0.504, 9);
    expect(after.byTask).toEqual({ "t/a": expect.closeTo(0.004, 9), "t/b": 0.5 });
    expect(await ledgers[0]!.reserve(0.01, [])).toMatchObject({ scope: { run: true } });
  });
});
