/**
 * After the event stream dropped and came back: opencode has no replay, so the turn
 * catches up from `GET /session/status` and the session's messages, driven by the same
 * ownership rule as the live stream. Only the user message created by this prompt (its
 * exact id) is ever adopted: a continued session's earlier turns are never replayed.
 */

import { isRecord } from "@taos/internal";
import { OpenCodeHttpError } from "../client/errors.js";
import type { HttpClient } from "../client/http.js";
import type { TurnFailure } from "../codec-book.js";
import { failureOf } from "../failure.js";
import { type Frame, frameOf } from "../frame.js";
import type { TurnMessages } from "./ownership.js";

/** A session and the directory it lives in (sent with every session-scoped request). */
export interface SessionRef {
  readonly id: string;
  readonly directory: string | undefined;
}

export interface OpenCodeMessage {
  readonly info?: {
    readonly id?: string;
    readonly parentID?: string;
    readonly role?: string;
    readonly error?: unknown;
    readonly time?: { readonly completed?: number };
  };
  readonly parts?: readonly unknown[];
}

export interface RecoveryContext {
  readonly http: HttpClient;
  readonly session: SessionRef;
  readonly requestTimeoutMs: number;
  /** What the turn knows of its messages now (it learns as frames are replayed). */
  messages(): TurnMessages;
  /** Feeds a frame through the turn's live path (ownership, then the codec). */
  replay(frame: Frame): void;
  /** Answers the asks still pending (`GET /permission`, `GET /question` entries). */
  answerPending(type: "permission.asked" | "question.asked", item: unknown): void;
}

export type CatchUpOutcome =
  | { readonly ended: false }
  | { readonly ended: true; readonly failure: TurnFailure | undefined };

/** Catches up once; throws when opencode cannot be read. */
export async function catchUp(context: RecoveryContext): Promise<CatchUpOutcome> {
  const { http, session, requestTimeoutMs } = context;
  const query = { directory: session.directory };
  const [statuses, messages] = await Promise.all([
    http.json<Record<string, { type?: string }>>("GET", "/session/status", {
      query,
      timeoutMs: requestTimeoutMs,
    }),
    readMessages(context),
  ]);
  const { userMessageId } = context.messages();
  const at = messages.findIndex((message) => message.info?.id === userMessageId);
  // opencode has not stored this prompt yet: the turn is still to come on the stream.
  if (at < 0) return { ended: false };
  const later = messages.slice(at);
  for (const message of later) replayMessage(context, message);
  const known = context.messages();
  const answers = later.filter(
    (message) => message.info?.id !== undefined && known.assistants.has(message.info.id),
  );
  const last = answers.at(-1)?.info;
  const status = statuses?.[session.id]?.type;
  const idle = status === undefined || status === "idle";
  if (
    idle &&
    last !== undefined &&
    (last.time?.completed !== undefined || last.error !== undefined)
  ) {
    return { ended: true, failure: last.error === undefined ? undefined : failureOf(last.error) };
  }
  const [permissions, questions] = await Promise.all([
    http.json<unknown[]>("GET", "/permission", { query, timeoutMs: requestTimeoutMs }),
    http.json<unknown[]>("GET", "/question", { query, timeoutMs: requestTimeoutMs }),
  ]);
  for (const item of permissions ?? []) context.answerPending("permission.asked", item);
  for (const item of questions ?? []) context.answerPending("question.asked", item);
  return { ended: false };
}

/** Feeds a stored message to the turn as the events that would have carried it. */
function replayMessage(context: RecoveryContext, message: OpenCodeMessage): void {
  const sessionID = context.session.id;
  const info = { ...message.info };
  // An error is left for the end decision, so it is not reported twice.
  delete (info as { error?: unknown }).error;
  const frames = [
    frameOf({ type: "message.updated", properties: { sessionID, info } }),
    ...(message.parts ?? []).map((part) =>
      frameOf({ type: "message.part.updated", properties: { sessionID, part } }),
    ),
  ];
  for (const frame of frames) if (frame !== undefined) context.replay(frame);
}

// opencode 1.18.33 answers 400 for a page that holds a structured-output prompt; smaller
// pages (the newest messages only) and single messages still load.
const PAGE_LIMITS = [100, 20, 5, 1] as const;

/** The session's newest messages, coping with pages opencode cannot encode. */
export async function readMessages(context: RecoveryContext): Promise<OpenCodeMessage[]> {
  for (const limit of PAGE_LIMITS) {
    try {
      const page = await listMessages(context, limit);
      const { userMessageId } = context.messages();
      if (limit === PAGE_LIMITS[0] || page.some((message) => message.info?.id === userMessageId))
        return page;
      break;
    } catch (error) {
      if (!OpenCodeHttpError.isInstance(error) || error.statusCode !== 400) throw error;
    }
  }
  // The pages that load do not reach back to this prompt: read its messages one by one.
  return ownMessages(context);
}

async function listMessages(context: RecoveryContext, limit: number): Promise<OpenCodeMessage[]> {
  const { http, session, requestTimeoutMs } = context;
  const page = await http.json<OpenCodeMessage[]>(
    "GET",
    `/session/${encodeURIComponent(session.id)}/message`,
    {
      query: { directory: session.directory, limit: String(limit) },
      timeoutMs: requestTimeoutMs,
      sessionId: session.id,
    },
  );
  return page ?? [];
}

/** This turn's messages one by one (`GET /session/:id/message/:messageID`), in id order. */
async function ownMessages(context: RecoveryContext): Promise<OpenCodeMessage[]> {
  const { http, session, requestTimeoutMs } = context;
  const { userMessageId, assistants, addedUsers } = context.messages();
  const ids = [userMessageId, ...addedUsers, ...assistants.keys()].sort();
  const found = await Promise.all(
    ids.map((id) =>
      http
        .json<OpenCodeMessage>(
          "GET",
          `/session/${encodeURIComponent(session.id)}/message/${encodeURIComponent(id)}`,
          {
            query: { directory: session.directory },
            timeoutMs: requestTimeoutMs,
            sessionId: session.id,
          },
        )
        .catch(() => undefined),
    ),
  );
  return found.filter((message): message is OpenCodeMessage => message?.info !== undefined);
}

/** This turn's last answer as stored: none at all, or one with the failure left on it (if any). */
export type LastAnswer =
  | { readonly found: false }
  | { readonly found: true; readonly failure: TurnFailure | undefined };

/** This turn's last stored answer, for a turn that went idle with nothing to show. */
export async function lastAnswer(context: RecoveryContext): Promise<LastAnswer> {
  const messages = await readMessages(context);
  const { assistants, userMessageId, addedUsers } = context.messages();
  const last = messages.findLast((message) => {
    const info = message.info;
    if (info?.id === undefined || info.role !== "assistant") return false;
    const parent = info.parentID;
    return (
      assistants.has(info.id) ||
      (parent !== undefined && (parent === userMessageId || addedUsers.has(parent)))
    );
  });
  if (last === undefined) return { found: false };
  const error = last.info?.error;
  return { found: true, failure: isRecord(error) ? failureOf(error) : undefined };
}
