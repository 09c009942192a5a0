/**
 * One path for permission and question asks: a table of the two kinds (how to read
 * the request, run the policy, where to send the answer, what to record) and one
 * handler that gives every policy call a deadline. A headless turn must never wait for
 * an answer that will not come: a policy that throws, returns nonsense or misses its
 * deadline rejects.
 */
import type { OpenCodeLogger } from "@taos/internal";
import type {
  AskDecision,
  PermissionPolicy,
  PermissionRequest,
  QuestionAnswers,
  QuestionPolicy,
  QuestionRequest,
} from "../client/ask-types.js";
import {
  DEFAULT_REJECT_MESSAGE,
  decidePermission,
  decideQuestion,
  type PermissionAnswer,
  toPermissionRequest,
  toQuestionRequest,
} from "../client/asks.js";
import { errorField } from "../client/logger.js";

/** The policies and limits one turn answers asks with. */
export interface AskPolicies {
  readonly permission: PermissionPolicy;
  readonly question: QuestionPolicy;
  readonly askTimeoutMs: number;
}

interface Decided<Answer> {
  readonly answer: Answer;
  readonly failure?: unknown;
}

interface AskKind<Request extends { id: string; sessionId: string }, Answer> {
  readonly name: "permission" | "question";
  parse(properties: unknown): Request | undefined;
  decide(policies: AskPolicies, request: Request): Promise<Decided<Answer>>;
  /** The answer when the policy failed or missed its deadline. */
  readonly rejection: Answer;
  route(request: Request, answer: Answer): { readonly path: string; readonly body: unknown };
  record(request: Request, answer: Answer, timedOut: boolean): AskDecision;
}

const PERMISSION: AskKind<PermissionRequest, PermissionAnswer> = {
  name: "permission",
  parse: toPermissionRequest,
  decide: (policies, request) => decidePermission(policies.permission, request),
  rejection: { reply: "reject", message: DEFAULT_REJECT_MESSAGE },
  route: (request, answer) => ({
    path: `/permission/${encodeURIComponent(request.id)}/reply`,
    body: answer,
  }),
  record: (request, answer, timedOut) => ({
    kind: "permission",
    requestId: request.id,
    sessionId: request.sessionId,
    permission: request.permission,
    patterns: request.patterns,
    reply: answer.reply,
    ...(answer.message === undefined ? {} : { message: answer.message }),
    ...(timedOut ? { timedOut: true } : {}),
  }),
};

const QUESTION: AskKind<QuestionRequest, QuestionAnswers | undefined> = {
  name: "question",
  parse: toQuestionRequest,
  decide: async (policies, request) => {
    const { answers, failure } = await decideQuestion(policies.question, request);
    return failure === undefined ? { answer: answers } : { answer: answers, failure };
  },
  rejection: undefined,
  route: (request, answers) => {
    const id = encodeURIComponent(request.id);
    return answers === undefined
      ? { path: `/question/${id}/reject`, body: {} }
      : { path: `/question/${id}/reply`, body: { answers } };
  },
  record: (request, answers, timedOut) => ({
    kind: "question",
    requestId: request.id,
    sessionId: request.sessionId,
    questions: request.questions.map((item) => item.question),
    reply: answers === undefined ? "reject" : "answer",
    ...(answers === undefined ? {} : { answers }),
    ...(timedOut ? { timedOut: true } : {}),
  }),
};

/** The ask kinds by their event type. */
export const ASK_KINDS: Readonly<Record<string, AskKind<never, never>>> = {
  "permission.asked": PERMISSION as unknown as AskKind<never, never>,
  "question.asked": QUESTION as unknown as AskKind<never, never>,
};

/** What the handler needs of the turn. */
export interface AskContext {
  readonly policies: AskPolicies;
  readonly logger: OpenCodeLogger;
  /** Sessions whose asks are this turn's to answer (its own and subagents'). */
  readonly sessions: ReadonlySet<string>;
  /** Ask ids answered already (an ask seen twice, live and in a catch-up, is answered once). */
  readonly answered: Set<string>;
  record(decision: AskDecision): void;
  send(path: string, body: unknown): Promise<unknown>;
  /** Ends when the turn ends: a pending policy call is abandoned (and rejected). */
  readonly signal: AbortSignal;
}

/** Answers one ask event (`permission.asked` / `question.asked` properties) if it is ours. */
export function handleAsk(type: string, properties: unknown, context: AskContext): void {
  const kind = ASK_KINDS[type] as AskKind<{ id: string; sessionId: string }, unknown> | undefined;
  if (kind === undefined) return;
  const request = kind.parse(properties);
  if (request === undefined || !context.sessions.has(request.sessionId)) return;
  if (context.answered.has(request.id)) return;
  context.answered.add(request.id);
  void answer(kind, request, context);
}

async function answer<Request extends { id: string; sessionId: string }, Answer>(
  kind: AskKind<Request, Answer>,
  request: Request,
  context: AskContext,
): Promise<void> {
  const { logger, policies } = context;
  const where = { sessionId: request.sessionId, requestId: request.id };
  const decided = await withDeadline(
    kind.decide(policies, request),
    policies.askTimeoutMs,
    context.signal,
  );
  const timedOut = decided === undefined;
  if (timedOut) {
    logger.warn(
      { ...where, askTimeoutMs: policies.askTimeoutMs },
      `the ${kind.name} policy did not answer in time; rejecting`,
    );
  } else if (decided.failure !== undefined) {
    logger.warn(
      { ...where, err: errorField(decided.failure) },
      `${kind.name} policy failed; rejecting`,
    );
  }
  const chosen = decided === undefined ? kind.rejection : decided.answer;
  context.record(kind.record(request, chosen, timedOut));
  const { path, body } = kind.route(request, chosen);
  try {
    await context.send(path, body);
  } catch (error) {
    logger.error({ ...where, err: errorField(error) }, `could not answer a ${kind.name} ask`);
  }
}

/** The promise's value, or undefined once `ms` have passed or the signal fired. */
function withDeadline<T>(
  promise: Promise<T>,
  ms: number,
  signal: AbortSignal,
): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise<T | undefined>((resolve) => {
    const done = (value: T | undefined): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      resolve(value);
    };
    const onAbort = (): void => done(undefined);
    const timer = setTimeout(() => done(undefined), ms);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(done, () => done(undefined));
  });
}
