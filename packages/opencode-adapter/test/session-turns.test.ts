import { describe, expect, it } from "vitest";
import { SessionTurns } from "../src/client/session-turns.js";

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("SessionTurns", () => {
  it("lets one turn of a session in at a time, in the order they came", async () => {
    const turns = new SessionTurns();
    const order: string[] = [];
    const leaveA = await turns.enter("s");
    const b = turns.enter("s").then((leave) => {
      order.push("b");
      return leave;
    });
    const c = turns.enter("s").then((leave) => {
      order.push("c");
      return leave;
    });
    await tick();
    expect(order).toEqual([]);
    leaveA();
    (await b)();
    (await c)();
    expect(order).toEqual(["b", "c"]);
  });

  it("does not make turns of other sessions wait", async () => {
    const turns = new SessionTurns();
    await turns.enter("s");
    let entered = false;
    void turns.enter("other").then(() => {
      entered = true;
    });
    await tick();
    expect(entered).toBe(true);
  });

  it("a waiter that gives up (abort) neither runs nor lets the next one in before the running turn leaves", async () => {
    const turns = new SessionTurns();
    const leaveA = await turns.enter("s");
    const controller = new AbortController();
    const b = turns.enter("s", controller.signal);
    let cIn = false;
    const c = turns.enter("s").then((leave) => {
      cIn = true;
      return leave;
    });
    controller.abort(new Error("gave up"));
    await expect(b).rejects.toThrow("gave up");
    await tick();
    expect(cIn).toBe(false);
    leaveA();
    (await c)();
    expect(cIn).toBe(true);
  });

  it("forgets a session once its last turn has left", async () => {
    const turns = new SessionTurns();
    (await turns.enter("s"))();
    await tick();
    let entered = false;
    void turns.enter("s").then(() => {
      entered = true;
    });
    await tick();
    expect(entered).toBe(true);
  });
});
