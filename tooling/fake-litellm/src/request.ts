import type { ChatMessage, Matcher, RecordedRequest } from "./types.js";

const TITLE_MARKER = "You are a title generator";
/** The function tool opencode 1.18 adds for a prompt with a JSON-schema `format`. */
export const STRUCTURED_TOOL = "StructuredOutput";

export type MutableRecord = { -readonly [K in keyof RecordedRequest]: RecordedRequest[K] };

export interface Body {
  readonly model?: unknown;
  readonly stream?: unknown;
  readonly messages: readonly ChatMessage[];
  readonly tools?: unknown;
}

interface ToolEntry {
  readonly function?: { readonly name?: unknown; readonly parameters?: unknown };
}

export function isBody(value: unknown): value is Body {
  return typeof value === "object" && value !== null && Array.isArray((value as Body).messages);
}

export function recordOf(key: string | undefined, body: Body): MutableRecord {
  const messages = body.messages;
  const entries: readonly ToolEntry[] = Array.isArray(body.tools) ? body.tools : [];
  const tools = entries
    .map((tool) => tool?.function?.name)
    .filter((name): name is string => typeof name === "string");
  const structured = entries.find((tool) => tool?.function?.name === STRUCTURED_TOOL);
  let lastUserText = "";
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message?.role === "user") {
      lastUserText = textOf(message);
      break;
    }
  }
  const isTitleRequest = messages.some(
    (m) => m?.role === "system" && textOf(m).includes(TITLE_MARKER),
  );
  return {
    key,
    model: typeof body.model === "string" ? body.model : "",
    stream: body.stream === true,
    messages,
    tools,
    structuredSchema:
      structured === undefined ? undefined : (structured.function?.parameters ?? {}),
    lastUserText,
    isTitleRequest,
    body,
    status: 200,
  };
}

function textOf(message: ChatMessage): string {
  const { content } = message;
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .filter((part) => part?.type === "text" && typeof part.text === "string")
    .map((part) => part.text)
    .join("\n");
}

export function matches(
  matcher: Matcher | undefined,
  record: RecordedRequest,
  fromUser: boolean,
): boolean {
  if (matcher === undefined) return true;
  if (typeof matcher === "function") return matcher(record);
  if (!fromUser) return false;
  if (typeof matcher === "string") return record.lastUserText.includes(matcher);
  matcher.lastIndex = 0;
  return matcher.test(record.lastUserText);
}
