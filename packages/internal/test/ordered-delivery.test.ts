import { describe, expect, it } from "vitest";
import { OrderedDelivery } from "../src/ordered-delivery.js";

describe("OrderedDelivery", () => {
  it("calls a sync consumer at once, in order", () => {
    const seen: number[] = [];
    const delivery = new OrderedDelivery<number>(
      (n) => void seen.push(n),
      () => undefined,
    );
    delivery.push(1);
    delivery.push(2);
    expect(seen).toEqual([1, 2]);
  });

  it("waits for an async consumer before the next item, and settles after the last", async () => {
    const seen: string[] = [];
    const delivery = new OrderedDelivery<number>(
      async (n) => {
        seen.push(`start ${n}`);
        await new Promise((resolve) => setImmediate(resolve));
        seen.push(`end ${n}`);
      },
      () => undefined,
    );
    delivery.push(1);
    delivery.push(2);
    delivery.push(3);
    await delivery.settled();
    expect(seen).toEqual(["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]);
  });

  it("reports a consumer that throws or rejects, and goes on with the next item", async () => {
    const failed: number[] = [];
    const seen: number[] = [];
    const delivery = new OrderedDelivery<number>(
      (n) => {
        if (n === 1) throw new Error("sync");
        if (n === 2) return Promise.reject(new Error("async"));
        seen.push(n);
      },
      (n) => void failed.push(n),
    );
    delivery.push(1);
    delivery.push(2);
    delivery.push(3);
    await delivery.settled();
    expect(failed).toEqual([1, 2]);
    expect(seen).toEqual([3]);
  });
});
