import { randomUUID } from "node:crypto";
import { delay, type OpenCodeLogger } from "@taos/internal";
import { OpenCodeHttpError } from "./errors.js";
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
