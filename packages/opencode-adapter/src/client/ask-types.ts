/** The ask vocabulary: what opencode asks (permissions, questions), the policies that answer, and the decisions reported. */
/** How opencode may proceed with one tool call that needs permission. */
export type PermissionReply = "once" | "always" | "reject";

/** A `permission.asked` request of our session (or of a subagent session it started). */
export interface PermissionRequest {
  readonly id: string;
  readonly sessionId: string;
  /** The permission key, e.g. `bash`, `edit`, `external_directory`. */
  readonly permission: string;
  /** What the call would touch, e.g. the bash command. */
  readonly patterns: readonly string[];
  /** The patterns an `always` reply would allow from now on. */
  readonly always: readonly string[];
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly callId?: string;
}

/** A reply, with an optional message for the model (used with `reject`). */
export type PermissionDecision =
  | PermissionReply
  | { readonly reply: PermissionReply; readonly message?: string };

/** A fixed reply for every ask, or a function deciding each one. */
export type PermissionPolicy =
  | PermissionReply
  | ((request: PermissionRequest) => PermissionDecision | Promise<PermissionDecision>);

export interface QuestionOption {
  readonly label: string;
  readonly description?: string;
}

export interface QuestionItem {
  readonly question: string;
  readonly header?: string;
  readonly options: readonly QuestionOption[];
  readonly multiple?: boolean;
}

/** A `question.asked` request (the model's `question` tool). */
export interface QuestionRequest {
  readonly id: string;
  readonly sessionId: string;
  readonly questions: readonly QuestionItem[];
  readonly callId?: string;
}

/** One array of chosen labels (or free text) per question, in order. */
export type QuestionAnswers = readonly (readonly string[])[];

/** `"reject"` dismisses every question; a function answers (or returns `"reject"`). */
export type QuestionPolicy =
  | "reject"
  | ((
      request: QuestionRequest,
    ) => QuestionAnswers | "reject" | Promise<QuestionAnswers | "reject">);

/** What the adapter answered to an ask, reported through `onDecision` and in the turn result. */
export type AskDecision =
  | {
      readonly kind: "permission";
      readonly requestId: string;
      readonly sessionId: string;
      readonly permission: string;
      readonly patterns: readonly string[];
      readonly reply: PermissionReply;
      readonly message?: string;
      /** The policy missed `askTimeoutMs`: the ask was rejected. */
      readonly timedOut?: boolean;
    }
  | {
      readonly kind: "question";
      readonly requestId: string;
      readonly sessionId: string;
      readonly questions: readonly string[];
      readonly reply: "answer" | "reject";
      readonly answers?: QuestionAnswers;
      /** The policy missed `askTimeoutMs`: the question was rejected. */
      readonly timedOut?: boolean;
    };
