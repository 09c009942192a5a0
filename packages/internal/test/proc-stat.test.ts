import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseProcStat } from "../src/proc-stat.js";

describe("parseProcStat", () => {
  it("reads pid, comm, state, ppid and pgrp", () => {
    expect(parseProcStat("4242 (opencode) S 4200 4242 4242 0 -1 4194560 ...")).toEqual({
      pid: 4242,
      comm: "opencode",
      state: "S",
      ppid: 4200,
      pgrp: 4242,
    });
  });

  it("takes a command name with spaces and parentheses whole", () => {
    expect(parseProcStat("7 (a) (b c)) Z 1 7 7 0")).toMatchObject({
      comm: "a) (b c)",
      state: "Z",
      ppid: 1,
      pgrp: 7,
    });
  });

  it("answers undefined for a line that is not a stat line", () => {
    expect(parseProcStat("")).toBeUndefined();
    expect(parseProcStat("no parentheses here")).toBeUndefined();
    expect(parseProcStat("12 (cut)")).toBeUndefined();
  });

  it.runIf(process.platform === "linux")("reads this process's own stat", () => {
    const own = parseProcStat(readFileSync("/proc/self/stat", "utf8"));
    expect(own).toMatchObject({ pid: process.pid, ppid: process.ppid });
  });
});
