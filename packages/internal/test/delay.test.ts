import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { abortable, delay, loggerProblem, silentLogger } from "../src/index.js";

describe("delay", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("resolves after the time and leaves no timer", async () => {
    let done = false;
    const waiting = delay(100).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(99);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await waiting;
    expect(done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("rejects with the signal's reason at once and clears its timer", async () => {
    const controller = new AbortController();
    const waiting = delay(10_000, controller.signal);
    controller.abort(new Error("stop"));
    await expect(waiting).rejects.toThrow("stop");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("rejects without a timer when the signal is already aborted", async () => {
    await expect(delay(10, AbortSignal.abort(new Error("early")))).rejects.toThrow("early");
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("abortable", () => {
  it("settles like the promise when nothing aborts", async () => {
    await expect(abortable(Promise.resolve(1), new AbortController().signal)).resolves.toBe(1);
    await expect(abortable(Promise.reject(new Error("no")), undefined)).rejects.toThrow("no");
  });

  it("rejects with the reason when the signal aborts first", async () => {
    const controller = new AbortController();
    const waiting = abortable(new Promise(() => undefined), controller.signal);
    controller.abort(new Error("gone"));
    await expect(waiting).rejects.toThrow("gone");
  });
});

describe("logger", () => {
  it("accepts a pino-style object and names what a bad one lacks", () => {
    expect(loggerProblem(silentLogger)).toBeUndefined();
    expect(loggerProblem(console)).toBeUndefined();
    expect(loggerProblem(null)).toMatch(/pino-compatible/);
    expect(loggerProblem({ debug() {}, info() {}, warn() {} })).toMatch(/error\(/);
  });
});
