/**
 * Property tests: whatever arrives (any JSON value, recorded events with
 * fields dropped, nulled or of the wrong type, raw lines with bytes changed),
 * the codec never throws, never speaks for another session, never speaks
 * after the end, never ends twice, and the raw path agrees with the parsed one.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createTurnState,
  finishTurn,
  mapOpenCodeEvent,
  mapOpenCodeEventData,
  type TurnState,
} from "../src/index.js";
import { eventSessionId, isTurnEndEvent, readEventHeader } from "../src/internals.js";
import type { Reply } from "../src/reply.js";
import {
  expectTurnInvariants,
  fixtureNames,
  loadFixture,
  parseOrUndefined,
} from "./codec-support.js";

const fixtures = fixtureNames().map(loadFixture);
const RUNS = { numRuns: 300 };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path to a value inside a JSON value (the root excluded). */
function paths(
  value: Json,
  prefix: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      out.push([...prefix, i]);
      paths(item, [...prefix, i], out);
    });
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      out.push([...prefix, key]);
      paths(item, [...prefix, key], out);
    }
  }
  return out;
}

type Mutation = {
  readonly at: number;
  readonly op: "drop" | "null" | "swap" | "replace";
  readonly value: Json;
};

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom("drop", "null", "swap", "replace"),
  value: fc.jsonValue() as fc.Arbitrary<Json>,
});

/** A copy of `event` with one value dropped, nulled, turned into another type, or replaced. */
function mutate(event: Json, mutation: Mutation): Json {
  const copy = structuredClone(event);
  const all = paths(copy);
  if (all.length === 0) return mutation.value;
  const path = all[mutation.at % all.length]!;
  let parent = copy as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, Json>;
  const key = path.at(-1)!;
  const old = parent[key];
  if (mutation.op === "drop") {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
  } else if (mutation.op === "null") parent[key] = null;
  else if (mutation.op === "swap") {
    parent[key] =
      typeof old === "string"
        ? 42
        : typeof old === "number"
          ? String(old)
          : typeof old === "object"
            ? "[object]"
            : {};
  } else parent[key] = mutation.value;
  return copy;
}

type Step =
  | { readonly kind: "keep" }
  | { readonly kind: "drop" }
  | { readonly kind: "twice" }
  | { readonly kind: "mutate"; readonly mutations: Mutation[] }
  | { readonly kind: "foreign"; readonly value: unknown };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: "keep" } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: "drop" } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: "twice" } as const) },
  {
    weight: 2,
    arbitrary: fc
      .array(mutationArb, { minLength: 1, maxLength: 3 })
      .map((mutations) => ({ kind: "mutate", mutations }) as const),
  },
  { weight: 1, arbitrary: fc.anything().map((value) => ({ kind: "foreign", value }) as const) },
);

/** A recorded stream with events kept, dropped, repeated, mutated, or foreign values slipped in. */
const streamArb: fc.Arbitrary<unknown[]> = fc
  .record({
    fixture: fc.nat({ max: fixtures.length - 1 }),
    steps: fc.array(stepArb, { maxLength: 80 }),
  })
  .map(({ fixture, steps }) => {
    const events = fixtures[fixture]!.events as unknown as Json[];
    const out: unknown[] = [];
    events.forEach((event, i) => {
      const step = steps[i] ?? { kind: "keep" };
      if (step.kind === "keep") out.push(event);
      else if (step.kind === "twice") out.push(event, event);
      else if (step.kind === "mutate") out.push(step.mutations.reduce(mutate, event));
      else if (step.kind === "foreign") out.push(step.value, event);
    });
    return out;
  });

/** Feeds events one by one and checks, at each step, what a turn must never do. */
function feed(
  events: readonly unknown[],
  state: TurnState,
  map: (event: unknown, state: TurnState) => Reply[],
): Reply[] {
  const all: Reply[] = [];
  for (const event of events) {
    const wasDone = state.done;
    const replies = map(event, state);
    expect(Array.isArray(replies)).toBe(true);
    if (wasDone) expect(replies).toEqual([]);
    all.push(...replies);
  }
  return all;
}

describe("the codec on arbitrary input", () => {
  it("never throws on any value, and maps non-events to nothing", () => {
    fc.assert(
      fc.property(
        fc.anything({ withNullPrototype: true, withBoxedValues: true, withSparseArray: true }),
        (value) => {
          const state = createTurnState("ses_1");
          expect(mapOpenCodeEvent(value, state)).toEqual([]);
          expect(isTurnEndEvent(value, "ses_1")).toBe(false);
          eventSessionId(value);
          expect(state.done).toBe(false);
        },
      ),
      RUNS,
    );
  });

  it("never throws on any string, and a raw line maps exactly as its parse does", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.string({ unit: "binary" })), (data) => {
        readEventHeader(data);
        const raw = createTurnState("ses_1");
        const parsed = createTurnState("ses_1");
        const event = parseOrUndefined(data);
        expect(mapOpenCodeEventData(data, raw)).toEqual(mapOpenCodeEvent(event, parsed));
      }),
      RUNS,
    );
  });

  it("non-string data and unusable states give nothing", () => {
    const line = fixtures[0]!.lines[0]!;
    for (const bad of [undefined, null, 42, {}, []]) {
      expect(mapOpenCodeEventData(bad as unknown as string, createTurnState("ses_1"))).toEqual([]);
      expect(mapOpenCodeEvent(fixtures[0]!.events[0], bad as unknown as TurnState)).toEqual([]);
      expect(mapOpenCodeEventData(line, bad as unknown as TurnState)).toEqual([]);
      expect(finishTurn(bad as unknown as TurnState)).toEqual([]);
    }
  });
});

describe("the codec on damaged recorded streams", () => {
  it("keeps the turn invariants: one end at most, nothing after it, deltas adding up, one call per id", () => {
    fc.assert(
      fc.property(streamArb, (events) => {
        const state = createTurnState("ses_1", { traceId: "t" });
        const replies = feed(events, state, mapOpenCodeEvent);
        expectTurnInvariants(replies, state);
      }),
      RUNS,
    );
  });

  it("never emits for a session that is not the turn's", () => {
    fc.assert(
      fc.property(streamArb, (events) => {
        const state = createTurnState("ses_not_in_the_stream");
        expect(feed(events, state, mapOpenCodeEvent)).toEqual([]);
        const lines = events.map((event) => JSON.stringify(event) ?? "");
        expect(
          feed(lines, createTurnState("ses_not_in_the_stream"), (line, s) =>
            mapOpenCodeEventData(line as string, s),
          ),
        ).toEqual([]);
      }),
      RUNS,
    );
  });

  it("the raw path gives the same replies and state as the parsed path, event by event", () => {
    fc.assert(
      fc.property(streamArb, (events) => {
        const lines = events.map((event) => JSON.stringify(event) ?? "");
        const parsed = createTurnState("ses_1");
        const raw = createTurnState("ses_1");
        lines.forEach((line) => {
          const event = parseOrUndefined(line);
          expect(mapOpenCodeEventData(line, raw)).toEqual(mapOpenCodeEvent(event, parsed));
          expect({ ...raw }).toEqual({ ...parsed });
        });
      }),
      RUNS,
    );
  });

  it("recorded lines with characters inserted, removed or changed map as their parse does", () => {
    const lineArb = fc
      .record({
        fixture: fc.nat({ max: fixtures.length - 1 }),
        line: fc.nat(),
        edits: fc.array(
          fc.record({
            at: fc.nat(),
            remove: fc.nat({ max: 3 }),
            insert: fc.string({ maxLength: 3 }),
          }),
          {
            minLength: 1,
            maxLength: 3,
          },
        ),
      })
      .map(({ fixture, line, edits }) => {
        const lines = fixtures[fixture]!.lines;
        let data = lines[line % lines.length]!;
        for (const edit of edits) {
          const at = edit.at % (data.length + 1);
          data = data.slice(0, at) + edit.insert + data.slice(at + edit.remove);
        }
        return { fixture, data };
      });
    fc.assert(
      fc.property(lineArb, ({ fixture, data }) => {
        // Warm both states on the same recorded prefix so that deltas and tools have parts to attach to.
        const parsed = createTurnState("ses_1");
        const raw = createTurnState("ses_1");
        for (const event of fixtures[fixture]!.events.slice(0, 12)) {
          mapOpenCodeEvent(event, parsed);
          mapOpenCodeEvent(event, raw);
        }
        const event = parseOrUndefined(data);
        expect(mapOpenCodeEventData(data, raw)).toEqual(mapOpenCodeEvent(event, parsed));
        expect({ ...raw }).toEqual({ ...parsed });
      }),
      RUNS,
    );
  });
});
