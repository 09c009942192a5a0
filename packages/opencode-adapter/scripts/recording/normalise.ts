/** Run-specific values (ids, times, paths, ports, versions) replaced by stable placeholders. */
import type { Recorded } from "./opencode.js";

const ID = /\b(evt|ses|msg|prt|per|que)_[0-9A-Za-z]{20,}/g;
const TIME_KEYS = new Set([
  "time",
  "created",
  "updated",
  "completed",
  "start",
  "end",
  "compacted",
  "initialized",
]);
const T0 = 1_700_000_000_000;

function isTime(key: string, value: unknown): value is number {
  return typeof value === "number" && (TIME_KEYS.has(key) || (value > 1.5e12 && value < 2.5e12));
}

/** Replaces run-specific values with placeholders numbered by first appearance (times by rank). */
export function normalise(
  events: readonly Recorded[],
  home: string,
  ports: readonly number[],
): string {
  const ids = new Map<string, string>();
  const counters = new Map<string, number>();
  const calls = new Map<string, string>();
  const slugs = new Map<string, string>();
  const times = new Set<number>();
  const placeholder = (map: Map<string, string>, prefix: string, value: string): string => {
    let name = map.get(value);
    if (name === undefined) {
      const n = (counters.get(prefix) ?? 0) + 1;
      counters.set(prefix, n);
      name = `${prefix}_${n}`;
      map.set(value, name);
    }
    return name;
  };
  const relHome = home.replace(/^\//, "");
  const fixString = (value: string): string => {
    let out = value.split(home).join("/home").split(relHome).join("home");
    for (const port of ports) out = out.split(`127.0.0.1:${port}`).join("127.0.0.1:4000");
    out = out.replace(ID, (match, prefix: string) => placeholder(ids, prefix, match));
    return calls.get(out) ?? out;
  };
  const collect = (value: unknown, key: string): void => {
    if (isTime(key, value)) times.add(value);
    else if (Array.isArray(value)) for (const item of value) collect(item, key);
    else if (typeof value === "object" && value !== null) {
      for (const [k, v] of Object.entries(value)) {
        if (k === "callID" && typeof v === "string") placeholder(calls, "call", v);
        collect(v, k);
      }
    }
  };
  for (const { event } of events) collect(event, "");
  const rank = new Map([...times].sort((a, b) => a - b).map((t, i) => [t, T0 + i]));
  const fix = (value: unknown, key: string): unknown => {
    if (isTime(key, value)) return rank.get(value) ?? value;
    if (typeof value === "string") {
      if (key === "version") return "0.0.0";
      if (key === "slug") return placeholder(slugs, "slug", value);
      return fixString(value);
    }
    if (Array.isArray(value)) return value.map((item) => fix(item, key));
    if (typeof value === "object" && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fix(v, k)]));
    }
    return value;
  };
  return `${events.map(({ event }) => JSON.stringify(fix(event, ""))).join("\n")}\n`;
}
