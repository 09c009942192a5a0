import { afterEach, describe, expect, it, vi } from "vitest";
import type { AgentRecord } from "../src/agent.js";
import { scheduleDirectorySweep, trackDirectory } from "../src/directories.js";

// Only the fields the directory sweep reads.
function recordStub(): AgentRecord {
  return { directories: new Map(), directoryTimer: undefined } as unknown as AgentRecord;
}

describe("the directory sweep", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("hands the sweep the time it was due, and leaves no timer behind", () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const record = recordStub();
    const untrack = trackDirectory(record, "/elsewhere");
    vi.setSystemTime(1_000_050);
    untrack();
    const dueTimes: number[] = [];
    scheduleDirectorySweep(record, 300, (dueAt) => {
      dueTimes.push(dueAt);
      record.directories.delete("/elsewhere");
    });
    vi.advanceTimersByTime(299);
    expect(dueTimes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(dueTimes).toEqual([1_000_350]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
