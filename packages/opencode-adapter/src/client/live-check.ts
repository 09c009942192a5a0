import { randomUUID } from "node:crypto";
import { delay, type OpenCodeLogger } from "@taos/internal";
import { OpenCodeEventStreamError, OpenCodeHttpError } from "./errors.js";
import type { HttpClient } from "./http.js";
import { errorField } from "./logger.js";

/** Publishes a `tui.toast.show` event: the probe that confirms a new subscription is live. */
const PROBE_PATH = "/tui/show-toast";
/** How long one probe may take to come back before another is sent. */
const PROBE_WAIT_MS = 50;
/** Without a probe endpoint: how long a new subscription is given to become live. */
const SETTLE_MS = 300;

/** A probe on its way: the stream calls `seen` when an event carries `token`. */
export interface Probe {
  readonly token: string;
  readonly seen: () => void;
}

/**
 * opencode 1.18.33 writes `server.connected` on `/global/event` before its bus
 * subscription is live: events of the next tens of milliseconds (hundreds under load)
 * never reach this stream. Measured: 26 of 40 fresh subscriptions opened side by side
 * missed the `session.created` of a session created right after `server.connected`;
 * none missed it once a probe event had come back. So the stream counts as open only
 * when a harmless probe (a TUI toast shown for 1 ms; no TUI, no effect) has come back
 * on it. The probe is re-sent until then, within the connect timeout.
 */
export async function confirmLive(
  http: HttpClient,
  logger: OpenCodeLogger,
  signal: AbortSignal,
  register: (probe: Probe | undefined) => void,
): Promise<void> {
  const token = `taos-adapter stream check ${randomUUID()}`;
  let seen!: () => void;
  const echoed = new Promise<boolean>((resolve) => {
    seen = () => resolve(true);
  });
  register({ token, seen });
  try {
    for (;;) {
      try {
        await http.json("POST", PROBE_PATH, {
          body: { message: token, variant: "info", duration: 1 },
          signal,
        });
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        if (
          OpenCodeHttpError.isInstance(error) &&
          error.statusCode !== undefined &&
          error.statusCode < 500
        ) {
          // No probe endpoint on this opencode: give the subscription time to settle instead.
          logger.warn(
            { server: http.origin, err: errorField(error) },
            "cannot confirm the event subscription; waiting for it to settle",
          );
          await delay(SETTLE_MS, signal);
          return;
        }
        throw error;
      }
      if (await within(echoed, PROBE_WAIT_MS, signal)) return;
    }
  } finally {
    register(undefined);
  }
}

/**
 * Whether a probe comes back through an open but quiet stream within `limitMs` (the
 * server lives). `signal` is the stream's. Never rejects.
 */
export async function probeWithin(
  http: HttpClient,
  logger: OpenCodeLogger,
  signal: AbortSignal,
  limitMs: number,
  register: (probe: Probe | undefined) => void,
): Promise<boolean> {
  logger.warn(
    { server: http.origin, quietMs: limitMs },
    "opencode event stream quiet past the silence limit; probing it",
  );
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), limitMs);
  try {
    await confirmLive(http, logger, AbortSignal.any([signal, deadline.signal]), register);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `opening` within `timeoutMs`: past it, `controller` aborts the opening and the
 * timeout's error is thrown; any other failure is thrown as an opening error.
 */
export async function withinConnectTimeout(
  opening: Promise<void>,
  controller: AbortController,
  timeoutMs: number,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new OpenCodeEventStreamError({
        reason: "connect",
        message: `the event stream did not open (server.connected and a live subscription) within ${timeoutMs} ms`,
      });
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  opening.catch(() => undefined);
  try {
    await Promise.race([opening, timeout]);
  } catch (error) {
    throw openingError(error);
  } finally {
    clearTimeout(timer);
  }
}

function openingError(error: unknown): OpenCodeEventStreamError {
  if (OpenCodeEventStreamError.isInstance(error)) return error;
  return new OpenCodeEventStreamError({
    reason: "connect",
    message: `the event stream could not be opened: ${errorField(error).message}`,
    cause: error,
  });
}

/** True if `promise` resolves within `ms`, false after `ms`; rejects when the signal aborts. */
function within(promise: Promise<boolean>, ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<boolean>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    };
    const onAbort = (): void => {
      done();
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      done();
      resolve(false);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then((value) => {
      done();
      resolve(value);
    });
  });
}
