import type { Attributes } from "@opentelemetry/api";
import { otelInstruments, otelTracer, quietly } from "./telemetry-api.js";

/** The span of a server restarted because it stopped answering prompts. */
export const HEAL_SPAN = "opencode.server.heal";
/** The event on it: why the server was taken as wedged. */
export const WEDGED_EVENT = "opencode.server.wedged";

/** Why a server was taken as wedged. */
export interface WedgedInfo {
  /** The reply code of the last failed turn (`no_answer`, `opencode_server_error`). */
  readonly code: string;
  /** How many turns in a row failed so. */
  readonly turns: number;
  /** The pool's agent, when a pool heals. */
  readonly agentId?: string;
}

/** Ends the heal span: the restart's outcome. */
export interface HealTelemetry {
  done(outcome: "restarted" | "failed"): void;
}

const noop: HealTelemetry = { done: () => undefined };

/**
 * Counts a wedged server (`taos.opencode.server.wedged`) and opens the heal span with a
 * `opencode.server.wedged` event; `done` ends it. A no-op without the API.
 */
export function startHeal(info: WedgedInfo): HealTelemetry {
  const attributes: Attributes = {
    "taos.turn.error_code": info.code,
    "taos.server.wedged_turns": info.turns,
    ...(info.agentId === undefined ? {} : { "taos.agent.id": info.agentId }),
  };
  quietly(() => otelInstruments()?.serverWedged.add(1, { "taos.turn.error_code": info.code }));
  const found = otelTracer();
  if (found === undefined) return noop;
  try {
    const span = found.tracer.startSpan(HEAL_SPAN, { attributes });
    span.addEvent(WEDGED_EVENT, attributes);
    let ended = false;
    return {
      done: (outcome) =>
        quietly(() => {
          if (ended) return;
          ended = true;
          span.setAttribute("taos.server.heal.outcome", outcome);
          if (outcome === "failed") span.setStatus({ code: found.api.SpanStatusCode.ERROR });
          span.end();
        }),
    };
  } catch {
    return noop;
  }
}
