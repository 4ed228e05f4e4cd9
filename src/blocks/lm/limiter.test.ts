import { describe, expect, it } from "vitest";
import { AdaptiveLimiter } from "./limiter.js";

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("AdaptiveLimiter", () => {
  it("admits at most `limit` at once, first come first served", async () => {
    const l = new AdaptiveLimiter(2, { rampMs: 0 });
    const order: number[] = [];
    const slots = await Promise.all([l.acquire(), l.acquire()]);
    const waiting = [3, 4].map((n) =>
      l.acquire().then((s) => {
        order.push(n);
        return s;
      }),
    );
    await tick();
    expect(l.inFlight).toBe(2);
    expect(l.waiting).toBe(2);
    slots[0]!.release("ok");
    const third = await waiting[0]!;
    expect(order).toEqual([3]);
    slots[1]!.release("ok");
    (await waiting[1]!).release("ok");
    third.release("ok");
    expect(l.inFlight).toBe(0);
  });

  it("decreases on 429 to what the endpoint accepted, once per generation, and grows back", async () => {
    const l = new AdaptiveLimiter(10, { rampMs: 0 });
    const slots = await Promise.all(Array.from({ length: 10 }, () => l.acquire()));
    // Six 429s from one burst: the limit ends at the four still in flight, not at 10 * 0.85^6.
    for (const s of slots.slice(4)) s.release("rate_limited");
    expect(l.limit).toBe(4);
    expect(l.counters.decreases).toBe(1);
    for (const s of slots.slice(0, 4)) s.release("ok");
    for (let i = 0; i < 400; i++) (await l.acquire()).release("ok");
    expect(l.limit).toBe(10);
  });

  it("never exceeds the configured limit, and lowerConfigured takes the smaller", async () => {
    const l = new AdaptiveLimiter(5, { rampMs: 0 });
    for (let i = 0; i < 50; i++) (await l.acquire()).release("ok");
    expect(l.limit).toBe(5);
    l.lowerConfigured(3);
    l.lowerConfigured(8);
    expect(l.configured).toBe(3);
    expect(l.limit).toBe(3);
  });

  it("does not adapt when told not to", async () => {
    const l = new AdaptiveLimiter(4, { adaptive: false });
    const s = await l.acquire();
    s.release("rate_limited");
    expect(l.limit).toBe(4);
  });

  it("ramps a fresh limiter up instead of admitting everything in the first instant", async () => {
    const l = new AdaptiveLimiter(8, { rampMs: 40 });
    const all = Array.from({ length: 8 }, () => l.acquire());
    await tick();
    expect(l.inFlight).toBeLessThan(8);
    const slots = await Promise.all(all);
    expect(l.inFlight).toBe(8);
    for (const s of slots) s.release("ok");
  });

  it("keeps first come, first served through the ramp: later requests do not overtake ramped ones", async () => {
    const l = new AdaptiveLimiter(4, { rampMs: 40 });
    const order: number[] = [];
    const all = Array.from({ length: 8 }, (_, i) =>
      l.acquire().then((s) => {
        order.push(i);
        return s;
      }),
    );
    expect(l.demand).toBe(8); // those behind the ramp count too
    const first = await Promise.all(all.slice(0, 4));
    expect(order).toEqual([0, 1, 2, 3]);
    for (const s of first) s.release("ok");
    for (const s of await Promise.all(all.slice(4))) s.release("ok");
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("reports spare room (free slots plus a queue of a quarter of the limit) and wakes the engine when a release makes room", async () => {
    const l = new AdaptiveLimiter(4, { rampMs: 0 });
    expect([l.queueTarget, l.spare]).toEqual([1, 5]);
    const held = await Promise.all([l.acquire(), l.acquire(), l.acquire(), l.acquire()]);
    const queued = [l.acquire(), l.acquire()];
    expect([l.spare, l.demand, l.waiting]).toEqual([0, 6, 2]);
    let woke = false;
    void l.whenSpare().then(() => (woke = true));
    held[0]!.release("ok"); // a queued request takes the slot; one still waits: no room yet
    const fifth = await queued[0]!;
    await tick();
    expect([woke, l.spare]).toEqual([false, 0]);
    held[1]!.release("ok"); // the last queued request takes it: the queue is empty, there is room
    const sixth = await queued[1]!;
    await tick();
    expect([woke, l.spare]).toEqual([true, 1]);
    for (const s of [...held.slice(2), fifth, sixth]) s.release("ok");
    expect(l.spare).toBe(5);
  });
});
