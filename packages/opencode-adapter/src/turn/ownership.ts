/**
 * Which events belong to a turn: a pure function of what the turn knows of its messages
 * and one event's facts. A turn owns its own user message (matched by the id it sent),
 * the user messages opencode adds to it (a compaction request, a synthetic "continue"),
 * the assistant messages answering any of those, and the session's status events once
 * its own user message is known (everything before is the tail of an earlier turn).
 */
import { isRecord } from "@taos/internal";
import type { AssistantRole } from "../codec-book.js";
import { isSummaryMessage } from "../codec-book.js";
import type { Frame } from "../frame.js";

/** What a turn knows of its messages. */
export interface TurnMessages {
  /** The id the prompt was sent with: opencode gives its user message this id. */
  readonly userMessageId: string;
  /** The user message has been seen (on the stream or in a catch-up). */
  readonly userMessageSeen: boolean;
  /** User messages opencode added to this turn (compaction, synthetic continuation). */
  readonly addedUsers: ReadonlySet<string>;
  /** Assistant messages answering this turn (compaction summaries among them). */
  readonly assistants: ReadonlyMap<string, AssistantRole>;
}

/** The turn's own, growing record of its messages. */
export interface KnownMessages extends TurnMessages {
  userMessageSeen: boolean;
  readonly addedUsers: Set<string>;
  readonly assistants: Map<string, AssistantRole>;
}

/**
 * `assistants` is the codec's record of the turn's assistant messages (its book's), so
 * that the turn and the codec keep one record: what ownership learns, the codec knows.
 */
export function newKnownMessages(
  userMessageId: string,
  assistants: Map<string, AssistantRole>,
): KnownMessages {
  return { userMessageId, userMessageSeen: false, addedUsers: new Set(), assistants };
}

/** Records what an event taught the turn. */
export function learn(messages: KnownMessages, learned: Learned): void {
  if ("userSeen" in learned) messages.userMessageSeen = true;
  else if ("assistant" in learned) messages.assistants.set(learned.assistant, learned.role);
  else if ("addedUser" in learned) messages.addedUsers.add(learned.addedUser);
  else messages.addedUsers.delete(learned.notAddedUser);
}

/** The facts of one event that ownership depends on. */
export type EventFacts =
  | { readonly kind: "status" }
  | {
      readonly kind: "message";
      readonly id: string;
      readonly role: string;
      readonly parentId: string | undefined;
      /** A compaction summary (an assistant message that is never the answer). */
      readonly summary: boolean;
    }
  | {
      readonly kind: "part";
      readonly messageId: string;
      readonly partType: string;
      readonly synthetic: boolean;
    }
  | { readonly kind: "delta"; readonly messageId: string }
  | { readonly kind: "other" };

/** What the turn learns from an event, besides whether it is its own. */
export type Learned =
  | { readonly userSeen: true }
  | { readonly assistant: string; readonly role: AssistantRole }
  | { readonly addedUser: string }
  | { readonly notAddedUser: string };

export interface Verdict {
  readonly owned: boolean;
  readonly learned?: Learned;
}

const NOT_OURS: Verdict = { owned: false };
const OURS: Verdict = { owned: true };

/** Decides whether an event belongs to the turn. Pure. */
export function ownership(turn: TurnMessages, facts: EventFacts): Verdict {
  switch (facts.kind) {
    case "status":
      return turn.userMessageSeen ? OURS : NOT_OURS;
    case "message":
      return messageOwnership(turn, facts);
    case "part":
      return partOwnership(turn, facts);
    case "delta":
      return turn.assistants.has(facts.messageId) ? OURS : NOT_OURS;
    default:
      return NOT_OURS;
  }
}

function messageOwnership(
  turn: TurnMessages,
  facts: Extract<EventFacts, { kind: "message" }>,
): Verdict {
  if (facts.role === "user") {
    if (facts.id !== turn.userMessageId) return NOT_OURS;
    return turn.userMessageSeen ? OURS : { owned: true, learned: { userSeen: true } };
  }
  if (facts.role !== "assistant" || facts.parentId === undefined) return NOT_OURS;
  const answersUs = facts.parentId === turn.userMessageId || turn.addedUsers.has(facts.parentId);
  if (!answersUs) return NOT_OURS;
  const role: AssistantRole = facts.summary ? "summary" : "answer";
  return turn.assistants.get(facts.id) === role
    ? OURS
    : { owned: true, learned: { assistant: facts.id, role } };
}

function partOwnership(turn: TurnMessages, facts: Extract<EventFacts, { kind: "part" }>): Verdict {
  const { messageId } = facts;
  if (turn.assistants.has(messageId)) return OURS;
  // A later user message is opencode's own addition to this turn only while every part
  // of it says so; a part a person wrote (another client's prompt) makes it not ours.
  if (!turn.userMessageSeen || messageId <= turn.userMessageId) return NOT_OURS;
  const added = facts.partType === "compaction" || (facts.partType === "text" && facts.synthetic);
  if (added) {
    return turn.addedUsers.has(messageId)
      ? NOT_OURS
      : { owned: false, learned: { addedUser: messageId } };
  }
  if (facts.partType === "text") return { owned: false, learned: { notAddedUser: messageId } };
  return NOT_OURS;
}

const STATUS_TYPES: ReadonlySet<string> = new Set([
  "session.status",
  "session.idle",
  "session.error",
]);

/** Reads the facts ownership needs from a frame (parsing it only when the head does not tell). */
export function factsOf(frame: Frame): EventFacts {
  if (STATUS_TYPES.has(frame.type)) return { kind: "status" };
  if (frame.type === "message.part.delta") {
    if (frame.messageId !== undefined) return { kind: "delta", messageId: frame.messageId };
    return deltaFacts(frame.parse());
  }
  if (frame.type === "message.updated") return messageFacts(frame.parse());
  if (frame.type === "message.part.updated") return partFacts(frame.parse());
  return { kind: "other" };
}

/** The `properties` of an event, when it has them. */
export function propertiesOf(event: unknown): Record<string, unknown> | undefined {
  return isRecord(event) && isRecord(event.properties) ? event.properties : undefined;
}

function deltaFacts(event: unknown): EventFacts {
  const messageId = propertiesOf(event)?.messageID;
  return typeof messageId === "string" ? { kind: "delta", messageId } : { kind: "other" };
}

function messageFacts(event: unknown): EventFacts {
  const info = propertiesOf(event)?.info;
  if (!isRecord(info) || typeof info.id !== "string" || typeof info.role !== "string")
    return { kind: "other" };
  const parentId = typeof info.parentID === "string" ? info.parentID : undefined;
  return {
    kind: "message",
    id: info.id,
    role: info.role,
    parentId,
    summary: isSummaryMessage(info),
  };
}

function partFacts(event: unknown): EventFacts {
  const part = propertiesOf(event)?.part;
  if (!isRecord(part) || typeof part.messageID !== "string") return { kind: "other" };
  return {
    kind: "part",
    messageId: part.messageID,
    partType: typeof part.type === "string" ? part.type : "",
    synthetic: part.synthetic === true,
  };
}
