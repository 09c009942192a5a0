import { isRecord } from "@taos/internal";
import type {
  PermissionDecision,
  PermissionPolicy,
  PermissionReply,
  PermissionRequest,
  QuestionAnswers,
  QuestionItem,
  QuestionPolicy,
  QuestionRequest,
} from "./ask-types.js";

/** What the model reads when the default policy turns a permission down. */
export const DEFAULT_REJECT_MESSAGE: string =
  "Permission rejected: this is a headless taOS turn and no one is present to approve it. " +
  "Carry on without this tool call.";

const REPLIES = new Set<unknown>(["once", "always", "reject"]);

function strings(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((item): item is string => typeof item === "string")
    : [];
}

/** The request of a `permission.asked` event (or a `GET /permission` entry); undefined if malformed. */
export function toPermissionRequest(properties: unknown): PermissionRequest | undefined {
  if (!isRecord(properties)) return undefined;
  const { id, sessionID, permission, metadata, tool } = properties;
  if (typeof id !== "string" || typeof sessionID !== "string") return undefined;
  const callId = isRecord(tool) && typeof tool.callID === "string" ? tool.callID : undefined;
  return {
    id,
    sessionId: sessionID,
    permission: typeof permission === "string" ? permission : "unknown",
    patterns: strings(properties.patterns),
    always: strings(properties.always),
    metadata: isRecord(metadata) ? metadata : {},
    ...(callId === undefined ? {} : { callId }),
  };
}

/** The request of a `question.asked` event (or a `GET /question` entry); undefined if malformed. */
export function toQuestionRequest(properties: unknown): QuestionRequest | undefined {
  if (!isRecord(properties)) return undefined;
  const { id, sessionID, tool } = properties;
  if (typeof id !== "string" || typeof sessionID !== "string") return undefined;
  const questions: QuestionItem[] = [];
  if (Array.isArray(properties.questions)) {
    for (const item of properties.questions) {
      if (!isRecord(item) || typeof item.question !== "string") continue;
      const options = Array.isArray(item.options)
        ? item.options.filter(isRecord).map((option) => ({
            label: typeof option.label === "string" ? option.label : "",
            ...(typeof option.description === "string" ? { description: option.description } : {}),
          }))
        : [];
      questions.push({
        question: item.question,
        ...(typeof item.header === "string" ? { header: item.header } : {}),
        options,
        ...(typeof item.multiple === "boolean" ? { multiple: item.multiple } : {}),
      });
    }
  }
  const callId = isRecord(tool) && typeof tool.callID === "string" ? tool.callID : undefined;
  return { id, sessionId: sessionID, questions, ...(callId === undefined ? {} : { callId }) };
}

export interface PermissionAnswer {
  readonly reply: PermissionReply;
  readonly message?: string;
}

/**
 * Runs the policy. A policy that throws or returns something unknown rejects:
 * a headless turn must never wait for an answer that will not come.
 */
export async function decidePermission(
  policy: PermissionPolicy,
  request: PermissionRequest,
): Promise<{ answer: PermissionAnswer; failure?: unknown }> {
  let decision: PermissionDecision;
  try {
    decision = typeof policy === "function" ? await policy(request) : policy;
  } catch (failure) {
    return { answer: { reply: "reject", message: DEFAULT_REJECT_MESSAGE }, failure };
  }
  const answer = typeof decision === "string" ? { reply: decision } : decision;
  if (!isRecord(answer) || !REPLIES.has(answer.reply)) {
    return {
      answer: { reply: "reject", message: DEFAULT_REJECT_MESSAGE },
      failure: new TypeError("the permission policy returned no valid reply"),
    };
  }
  if (answer.reply === "reject") {
    const message =
      typeof answer.message === "string" && answer.message !== ""
        ? answer.message
        : DEFAULT_REJECT_MESSAGE;
    return { answer: { reply: "reject", message } };
  }
  return {
    answer:
      typeof answer.message === "string" && answer.message !== ""
        ? { reply: answer.reply, message: answer.message }
        : { reply: answer.reply },
  };
}

function isAnswers(value: unknown): value is QuestionAnswers {
  return (
    Array.isArray(value) &&
    value.every(
      (answer) => Array.isArray(answer) && answer.every((label) => typeof label === "string"),
    )
  );
}

/** Runs the question policy: answers, or undefined to reject (also when the policy fails). */
export async function decideQuestion(
  policy: QuestionPolicy,
  request: QuestionRequest,
): Promise<{ answers: QuestionAnswers | undefined; failure?: unknown }> {
  if (policy === "reject") return { answers: undefined };
  try {
    const result = await policy(request);
    if (result === "reject") return { answers: undefined };
    if (!isAnswers(result)) {
      return {
        answers: undefined,
        failure: new TypeError('the question policy returned neither answers nor "reject"'),
      };
    }
    return { answers: result };
  } catch (failure) {
    return { answers: undefined, failure };
  }
}
