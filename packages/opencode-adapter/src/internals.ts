// The adapter's plumbing, for the packages built on it (turn, pool, runtime), the
// benchmarks and the tests: not the adapter's public API, and it may change in any release.
export { toFileParts } from "./client/attachments.js";
export { GLOBAL_EVENT_PATH } from "./client/event-hub.js";
export { CODEC_EVENT_TYPES, PART_SEPARATOR } from "./codec.js";
export type { AssistantRole } from "./codec-book.js";
export { isTurnEndEvent } from "./codec-end.js";
export type { EventHeader } from "./codec-raw.js";
export { mapFrame, readEventHeader } from "./codec-raw.js";
export type { ErrorCodeOf } from "./error-codes.js";
export { errorCodeOf, streamFailureCode } from "./error-codes.js";
export { eventSessionId } from "./events.js";
export type { RefusedTurn } from "./failure.js";
export { redactSecrets, refusedTurn } from "./failure.js";
export type { Frame } from "./frame.js";
export { readFrame } from "./frame.js";
export type { StructuredCheck } from "./structured.js";
export { validateStructuredOutput } from "./structured.js";
export type { EventFacts, Learned, TurnMessages, Verdict } from "./turn/ownership.js";
export { ownership } from "./turn/ownership.js";
export type { TurnPhase } from "./turn/turn-phase.js";
