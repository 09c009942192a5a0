import { describe, expectTypeOf, it } from "vitest";
import { nextPhase, type PHASE_TRANSITIONS, type PhaseEvent } from "../src/internals.js";

// Checked by the type checker: an event name is a literal, so a misspelt one fails.
describe("the phase table's event names", () => {
  it("are literal types: a misspelt event does not typecheck", () => {
    // @ts-expect-error "lauch" is not an event
    nextPhase("idle", "lauch");
    expectTypeOf(nextPhase).parameter(1).toEqualTypeOf<PhaseEvent>();
  });

  it("are exactly the table's keys", () => {
    expectTypeOf<keyof typeof PHASE_TRANSITIONS>().toEqualTypeOf<PhaseEvent>();
    expectTypeOf<PhaseEvent>().toEqualTypeOf<
      | "launch"
      | "ready"
      | "launchFailed"
      | "turnBegan"
      | "turnsDone"
      | "stop"
      | "stopped"
      | "exited"
      | "giveUp"
      | "reset"
      | "hold"
      | "unhold"
    >();
  });
});
