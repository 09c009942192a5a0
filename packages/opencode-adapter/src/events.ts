/**
 * The opencode events the adapter reads, as they arrive on `GET /event`
 * (recorded from opencode 1.18.33; see test/fixtures). Every field is optional:
 * an event is untrusted input until the codec has checked it.
 */
import { isRecord } from "@taos/internal";

/** Event types the adapter acts on. Others (plugin.added, session.updated, ...) are skipped. */
export const OpenCodeEventType = {
  ServerConnected: "server.connected",
  ServerHeartbeat: "server.heartbeat",
  SessionStatus: "session.status",
  /** Deprecated by opencode in favour of `session.status` idle; still sent right after it. */
  SessionIdle: "session.idle",
  SessionError: "session.error",
  MessageUpdated: "message.updated",
  MessagePartUpdated: "message.part.updated",
  MessagePartDelta: "message.part.delta",
  PermissionAsked: "permission.asked",
  PermissionReplied: "permission.replied",
  QuestionAsked: "question.asked",
  QuestionReplied: "question.replied",
  QuestionRejected: "question.rejected",
} as const;

export type OpenCodeEventTypeName = (typeof OpenCodeEventType)[keyof typeof OpenCodeEventType];

/** `{id: "evt_...", type, properties}`: one `data:` line of the event stream. */
export interface OpenCodeEvent {
  readonly id?: string;
  readonly type?: string;
  readonly properties?: Readonly<Record<string, unknown>>;
}

/** opencode's named errors (`APIError`, `MessageAbortedError`, `ProviderAuthError`, `UnknownError`, ...). */
export interface OpenCodeErrorInfo {
  readonly name?: string;
  readonly data?: {
    readonly message?: string;
    readonly statusCode?: number;
    readonly isRetryable?: boolean;
    readonly responseBody?: string;
    readonly metadata?: Readonly<Record<string, string>>;
    readonly [key: string]: unknown;
  };
}

export interface OpenCodeSessionStatus {
  /** "idle" | "busy" | "retry" (with attempt, message, next). */
  readonly type?: string;
  readonly attempt?: number;
  readonly message?: string;
  readonly next?: number;
}

export interface SessionStatusProperties {
  readonly sessionID?: string;
  readonly status?: OpenCodeSessionStatus;
}

export interface SessionErrorProperties {
  /** Optional in opencode's schema: an error outside any session has none. */
  readonly sessionID?: string;
  readonly error?: OpenCodeErrorInfo;
}

export interface OpenCodeTokens {
  readonly total?: number;
  readonly input?: number;
  readonly output?: number;
  readonly reasoning?: number;
  readonly cache?: { readonly read?: number; readonly write?: number };
}

export interface OpenCodeMessageInfo {
  readonly id?: string;
  readonly sessionID?: string;
  readonly role?: "user" | "assistant" | (string & {});
  readonly parentID?: string;
  readonly modelID?: string;
  readonly providerID?: string;
  /** Set on an assistant message that failed; sometimes the only trace of a failure. */
  readonly error?: OpenCodeErrorInfo;
  readonly finish?: string;
  readonly cost?: number;
  readonly tokens?: OpenCodeTokens;
}

export interface MessageUpdatedProperties {
  readonly sessionID?: string;
  readonly info?: OpenCodeMessageInfo;
}

export interface OpenCodeToolState {
  /** "pending" (input still `{}`), "running" (input set), "completed" or "error". */
  readonly status?: string;
  /** The call's arguments; there is no `part.input`. */
  readonly input?: Readonly<Record<string, unknown>>;
  readonly output?: string;
  readonly error?: string;
  readonly title?: string;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export interface OpenCodePart {
  readonly id?: string;
  readonly sessionID?: string;
  readonly messageID?: string;
  /** "text" | "reasoning" | "tool" | "step-start" | "step-finish" | "file" | ... */
  readonly type?: string;
  /** text and reasoning parts: the whole text so far. */
  readonly text?: string;
  readonly synthetic?: boolean;
  /** tool parts */
  readonly callID?: string;
  readonly tool?: string;
  readonly state?: OpenCodeToolState;
  /** step-finish parts */
  readonly reason?: string;
  readonly cost?: number;
  readonly tokens?: OpenCodeTokens;
}

export interface MessagePartUpdatedProperties {
  readonly sessionID?: string;
  readonly part?: OpenCodePart;
  readonly time?: number;
}

export interface MessagePartDeltaProperties {
  readonly sessionID?: string;
  readonly messageID?: string;
  readonly partID?: string;
  /** The part's field that grows: "text" for text AND reasoning parts alike. */
  readonly field?: string;
  readonly delta?: string;
}

/** The tool call a permission or question belongs to. */
export interface OpenCodeToolRef {
  readonly messageID?: string;
  readonly callID?: string;
}

export interface PermissionAskedProperties {
  /** "per_..."; answer with `POST /permission/:id/reply`. */
  readonly id?: string;
  readonly sessionID?: string;
  /** The permission asked for, e.g. "bash", "edit", "external_directory". */
  readonly permission?: string;
  readonly patterns?: readonly string[];
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly always?: readonly string[];
  readonly tool?: OpenCodeToolRef;
}

export interface OpenCodeQuestionOption {
  readonly label?: string;
  readonly description?: string;
}

export interface OpenCodeQuestionInfo {
  readonly question?: string;
  readonly header?: string;
  readonly options?: readonly OpenCodeQuestionOption[];
  readonly multiple?: boolean;
  readonly custom?: boolean;
}

export interface QuestionAskedProperties {
  /** "que_..."; answer with `POST /question/:id/reply` or `/reject`. */
  readonly id?: string;
  readonly sessionID?: string;
  readonly questions?: readonly OpenCodeQuestionInfo[];
  readonly tool?: OpenCodeToolRef;
}

/**
 * The session an event belongs to: `properties.sessionID`, else the
 * `sessionID` of its `part` or `info`. Undefined for server-wide events and
 * anything malformed. Never throws.
 */
export function eventSessionId(event: unknown): string | undefined {
  if (!isRecord(event)) return undefined;
  const properties = event.properties;
  if (!isRecord(properties)) return undefined;
  const direct = properties.sessionID;
  if (typeof direct === "string") return direct;
  const part = properties.part;
  if (isRecord(part) && typeof part.sessionID === "string") return part.sessionID;
  const info = properties.info;
  if (isRecord(info) && typeof info.sessionID === "string") return info.sessionID;
  return undefined;
}
