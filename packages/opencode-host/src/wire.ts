import type { TurnResult } from "@taos/opencode-adapter";
import type { AgentSettings, PoolTurnOptions } from "@taos/opencode-pool";
import { HostInputError } from "./errors.js";

/** `apiKey` → `api_key`, one level deep (nested values, e.g. permission patterns, stay as they are). */
export function snakeKeys(value: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value))
    out[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = item;
  return out;
}

/** `api_key` → `apiKey`, one level deep. */
export function camelKeys(value: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value))
    out[key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = item;
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A JSON body as an object, or 400 naming `field`. */
export function parseJsonObject(body: Uint8Array, field: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body).toString("utf8"));
  } catch {
    throw new HostInputError(field, "is not valid JSON");
  }
  if (!isPlainObject(value)) throw new HostInputError(field, "must be a JSON object");
  return value;
}

/** Agent settings from the wire (`api_key`, `model_ids`, `cwd`, `permission`); the pool checks the values. */
export function settingsFromWire(body: Record<string, unknown>): Partial<AgentSettings> {
  return camelKeys(body) as Partial<AgentSettings>;
}

/** What a turn request carries: its text, trace id and options. */
export interface TurnRequest {
  readonly text: string;
  readonly traceId: string;
  readonly options: PoolTurnOptions;
}

const TURN_STRINGS = ["sessionId", "modelId", "directory", "system", "agent", "variant"] as const;

/** A turn request from the wire, each field checked (400 naming `turn.<field>`). */
export function turnFromWire(body: Record<string, unknown>): TurnRequest {
  const fields = camelKeys(body);
  const { text, traceId, queueTimeoutMs } = fields;
  if (typeof text !== "string") throw new HostInputError("turn.text", "must be a string");
  if (typeof traceId !== "string" || traceId === "")
    throw new HostInputError("turn.traceId", "must be a non-empty string");
  const options: Record<string, unknown> = {};
  for (const name of TURN_STRINGS) {
    const value = fields[name];
    if (value === undefined) continue;
    if (typeof value !== "string") throw new HostInputError(`turn.${name}`, "must be a string");
    options[name] = value;
  }
  if (queueTimeoutMs !== undefined) {
    if (typeof queueTimeoutMs !== "number" || !(queueTimeoutMs > 0))
      throw new HostInputError("turn.queueTimeoutMs", "must be a number > 0");
    options.queueTimeoutMs = queueTimeoutMs;
  }
  return { text, traceId, options: options as PoolTurnOptions };
}

/** A turn request for the wire. */
export function turnToWire(text: string, traceId: string, options: PoolTurnOptions): string {
  const body: Record<string, unknown> = { text, traceId };
  for (const name of TURN_STRINGS) if (options[name] !== undefined) body[name] = options[name];
  if (options.queueTimeoutMs !== undefined) body.queueTimeoutMs = options.queueTimeoutMs;
  return JSON.stringify(snakeKeys(body));
}

/** A turn's result on the wire (snake_case; usage's keys too). */
export function resultToWire(result: TurnResult): Record<string, unknown> {
  const wire = snakeKeys(result as unknown as Record<string, unknown>);
  if (result.usage !== undefined)
    wire.usage = snakeKeys(result.usage as unknown as Record<string, unknown>);
  return wire;
}

/** A turn's result from the wire. */
export function resultFromWire(wire: Record<string, unknown>): TurnResult {
  const result = camelKeys(wire);
  if (isPlainObject(result.usage)) result.usage = camelKeys(result.usage);
  return result as unknown as TurnResult;
}
