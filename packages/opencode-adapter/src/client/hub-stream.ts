import type { OpenCodeLogger } from "@taos/internal";
import { OpenCodeEventStreamError } from "./errors.js";
import type { HttpClient } from "./http.js";
import { confirmLive, type Probe } from "./live-check.js";
import { errorField } from "./logger.js";
import { pumpServerSentEvents } from "./sse.js";

/**
 * `/global/event` rather than `/event`: `/event` carries only the events of one
 * directory (the server's, unless `?directory=` says otherwise), so one subscription
 * there could not serve sessions living in different directories. `/global/event`
 * carries every directory, each event wrapped as `{directory, project, payload}`.
 */
export const GLOBAL_EVENT_PATH = "/global/event";

/** One attempt at opening the event stream, and what it reports to its hub. */
export interface StreamOpening {
  readonly http: HttpClient;
  readonly logger: OpenCodeLogger;
  /** Aborts this stream (on a timeout, a failed opening, or by the hub). */
  readonly controller: AbortController;
  readonly timeoutMs: number;
  /** Each `data:` payload; `connected` is to be called on opencode's `server.connected`. */
  onData(data: string, connected: () => void): void;
  /** The live probe on its way (undefined once it is done). */
  onProbe(probe: Probe | undefined): void;
  /**
   * The stream ended (`error` undefined: the server ended it). `opened` says whether it
   * had opened; before that, `rejectOpening` fails the opening.
   */
  onEnd(opened: boolean, error: unknown, rejectOpening: (error: unknown) => void): void;
  /** The opening failed (the stream is aborted already); called before the error is thrown. */
  onFailed(): void;
}

/**
 * Opens `/global/event`: resolves once opencode has said `server.connected` and a live
 * probe has come back, within `timeoutMs`; else throws `OpenCodeEventStreamError`.
 */
export async function openEventStream(opening: StreamOpening): Promise<void> {
  const { controller, timeoutMs } = opening;
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => {
        const error = new OpenCodeEventStreamError({
          reason: "connect",
          message: `the event stream did not open (server.connected and a live subscription) within ${timeoutMs} ms`,
        });
        controller.abort(error);
        reject(error);
      }, timeoutMs);
      subscribe(opening, resolve, reject);
    });
  } catch (error) {
    controller.abort();
    opening.onFailed();
    throw openingError(error);
  } finally {
    clearTimeout(timer);
  }
}

/** Requests the stream and pumps it; resolves once `server.connected` and the live check are in. */
function subscribe(
  opening: StreamOpening,
  resolve: () => void,
  reject: (error: unknown) => void,
): void {
  const { http, controller } = opening;
  let connected = false;
  let opened = false;
  http.stream(GLOBAL_EVENT_PATH, controller.signal, opening.timeoutMs).then((response) => {
    const onConnected = (): void => {
      if (connected) return;
      connected = true;
      confirmLive(http, opening.logger, controller.signal, (probe) => opening.onProbe(probe)).then(
        () => {
          opened = true;
          resolve();
        },
        reject,
      );
    };
    pumpServerSentEvents(response.body, (data) => opening.onData(data, onConnected)).then(
      () => opening.onEnd(opened, undefined, reject),
      (error: unknown) => opening.onEnd(opened, error, reject),
    );
  }, reject);
}

function openingError(error: unknown): OpenCodeEventStreamError {
  if (OpenCodeEventStreamError.isInstance(error)) return error;
  return new OpenCodeEventStreamError({
    reason: "connect",
    message: `the event stream could not be opened: ${errorField(error).message}`,
    cause: error,
  });
}
