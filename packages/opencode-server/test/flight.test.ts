import { describe, expect, it } from "vitest";
import { Flight } from "../src/flight.js";

/** A start that runs until its signal aborts (then cleans up for a tick) or `finish` is called. */
function controllable() {
  const log: string[] = [];
  let finish: (value: string) => void = () => {};
  let startSignal: AbortSignal | undefined;
  let starts = 0;
  const start = (signal: AbortSignal): Promise<string> => {
    starts += 1;
    startSignal = signal;
    return new Promise<string>((resolve, reject) => {
      finish = resolve;
      signal.addEventListener("abort", () => {
        // The cleanup (killing a child) takes a moment; the abandoning caller must wait for it.
        setImmediate(() => {
          log.push("start cleaned up");
          reject(signal.reason);
        });
      });
    });
  };
  return {
    start,
    log,
    finish: (value: string) => finish(value),
    get signal() {
      return startSignal;
    },
    get starts() {
      return starts;
    },
  };
}

describe("Flight (one start shared by its callers)", () => {
  it("callers share one start and get its result", async () => {
    const c = controllable();
    const flight = new Flight(c.start, () => {});
    const all = Promise.all([flight.join(), flight.join(), flight.join()]);
    await Promise.resolve();
    c.finish("ready");
    expect(await all).toEqual(["ready", "ready", "ready"]);
    expect(c.starts).toBe(1);
  });

  it("a caller that gives up gets its signal's reason; the start goes on for the others", async () => {
    const c = controllable();
    let abandoned = 0;
    const flight = new Flight(c.start, () => {
      abandoned += 1;
    });
    const mine = new AbortController();
    const leaving = flight.join(mine.signal);
    const staying = flight.join();
    mine.abort(new Error("not needed any more"));
    await expect(leaving).rejects.toThrow("not needed any more");
    expect(c.signal?.aborted).toBe(false);
    c.finish("ready");
    expect(await staying).toBe("ready");
    expect(abandoned).toBe(0);
  });

  it("when the last caller gives up the start is abandoned, and that caller returns after its cleanup", async () => {
    const c = controllable();
    const events: string[] = c.log;
    const flight = new Flight(c.start, () => events.push("abandoned"));
    const a = new AbortController();
    const b = new AbortController();
    const first = flight.join(a.signal);
    const last = flight.join(b.signal);
    await Promise.resolve();
    a.abort(new Error("a gave up"));
    await expect(first).rejects.toThrow("a gave up");
    b.abort(new Error("b gave up"));
    await expect(last).rejects.toThrow("b gave up");
    events.push("last caller returned");
    expect(events).toEqual(["abandoned", "start cleaned up", "last caller returned"]);
    expect(c.signal?.reason).toEqual(new Error("b gave up"));
  });

  it("a deadline gives the caller the deadline's own error", async () => {
    const c = controllable();
    const flight = new Flight(c.start, () => {});
    const late = new Error("not ready within 20 ms");
    await expect(flight.join(undefined, { ms: 20, error: () => late })).rejects.toBe(late);
    expect(c.signal?.reason).toBe(late);
  });

  it("abort() ends the start with its reason and resolves once it has settled", async () => {
    const c = controllable();
    const flight = new Flight(c.start, () => {});
    const waiting = flight.join();
    await Promise.resolve();
    const stopped = new Error("stopped");
    await flight.abort(stopped);
    expect(c.log).toEqual(["start cleaned up"]);
    await expect(waiting).rejects.toBe(stopped);
  });
});
