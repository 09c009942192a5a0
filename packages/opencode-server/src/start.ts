import { performance } from "node:perf_hooks";
import {
  abortable,
  type ServerOperation,
  type ServerStartTelemetry,
  startServerSpan,
} from "@taos/internal";
import { findOpenCodeBinary } from "./binary.js";
import type { ExitInfo, OpenCodeChild } from "./child.js";
import type { OpenCodeHealthError } from "./errors.js";
import { prepareHome } from "./home.js";
import { launch, noteReady, REPLACE_GRACE_MS, startTimeoutError } from "./launch.js";
import type { ResolvedOptions } from "./options.js";
import { HEALTH_TIMEOUT_MS, type HealthClient } from "./readiness.js";
import { SUPPORTED_OPENCODE_RANGE } from "./version.js";

/** What a start shares with the phase it runs in: the child serving before it, and its own attempt. */
export interface StartState {
  current: OpenCodeChild | undefined;
  attempt: OpenCodeChild | undefined;
}

export interface StartPlan {
  readonly options: ResolvedOptions;
  readonly health: HealthClient;
  readonly state: StartState;
  /** The start's own deadline (the deadline of the call that began it). */
  readonly deadlineMs: number;
  /** A stop still in progress: waited for first. */
  readonly stopping: Promise<void> | undefined;
  /** The opencode executable (found once, on the first start). */
  readonly binary: (signal: AbortSignal) => Promise<string>;
  readonly onVersion: (version: string) => void;
  readonly onUnexpectedExit: (child: OpenCodeChild, info: ExitInfo) => void;
  /** For telemetry: a restart once an earlier child of this server was ready. */
  readonly operation: ServerOperation;
}

/**
 * The opencode executable for this server: the `binary` option, or the first
 * supported one found (unless unsupported versions are allowed: a 2.x first
 * on PATH must not hide a 1.x installed from npm).
 */
export async function findServerBinary(
  options: ResolvedOptions,
  signal: AbortSignal,
): Promise<string> {
  const versionRange = options.allowUnsupportedVersion ? undefined : SUPPORTED_OPENCODE_RANGE;
  const found = await findOpenCodeBinary({
    ...(options.binary === undefined ? {} : { binary: options.binary }),
    ...(versionRange === undefined ? {} : { versionRange }),
    signal,
  });
  return found.binary;
}

/** The running child when it answers its health check; a live but unhealthy one is killed. */
async function keepCurrent(
  plan: StartPlan,
  signal: AbortSignal,
): Promise<OpenCodeChild | undefined> {
  const { current } = plan.state;
  if (!current || current.exit) return undefined;
  const health = await plan.health.check(current, signal, HEALTH_TIMEOUT_MS);
  if (health.ok) {
    if (health.version) plan.onVersion(health.version);
    return current;
  }
  const { message } = health.error;
  plan.options.logger.warn(
    { pid: current.pid, error: message },
    "opencode is alive but unhealthy; replacing it",
  );
  current.sink.note(`unhealthy (${message}); replacing pid ${current.pid}`);
  plan.state.current = undefined;
  await current.terminate(REPLACE_GRACE_MS);
  return undefined;
}

/**
 * One start, as a flight runs it: waits for a stop in progress, keeps a
 * healthy child, otherwise prepares the home and launches a new child, all
 * within the deadline. Rejects with the flight's reason when it is abandoned,
 * with `OpenCodeStartTimeoutError` at the deadline.
 */
export async function runStart(plan: StartPlan, flightSignal: AbortSignal): Promise<OpenCodeChild> {
  const begun = performance.now();
  const deadline = AbortSignal.timeout(plan.deadlineMs);
  const signal = AbortSignal.any([flightSignal, deadline]);
  let lastHealthError: OpenCodeHealthError | undefined;
  let telemetry: ServerStartTelemetry | undefined;
  try {
    signal.throwIfAborted();
    if (plan.stopping) await abortable(plan.stopping, signal);
    const kept = await keepCurrent(plan, signal);
    if (kept) return kept;
    telemetry = startServerSpan(plan.operation);
    const binary = await plan.binary(signal);
    await prepareHome(plan.options);
    const context = {
      options: plan.options,
      binary,
      health: plan.health,
      onUnexpectedExit: plan.onUnexpectedExit,
      onAttempt: (child: OpenCodeChild) => {
        plan.state.attempt = child;
      },
      onHealthError: (error: OpenCodeHealthError) => {
        lastHealthError = error;
      },
    };
    const { child, version } = await launch(context, signal);
    child.ready = true;
    if (version) plan.onVersion(version);
    noteReady(child, begun, version, plan.options.logger);
    const { pid, port } = child;
    const host = plan.options.hostname;
    telemetry.ready({ binary, port, pid, host, ...(version ? { version } : {}) });
    return child;
  } catch (error) {
    let failure = error;
    if (flightSignal.aborted) failure = flightSignal.reason;
    else if (deadline.aborted) {
      failure = startTimeoutError(plan.deadlineMs, plan.state.attempt, lastHealthError);
    }
    telemetry?.failed(failure);
    throw failure;
  }
}
