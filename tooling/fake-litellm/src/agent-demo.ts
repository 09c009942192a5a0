import type { ChatMessage, RecordedRequest, Rule, Script } from "./types.js";

/** The harmless, read-only command the demo turn runs. */
export const AGENT_DEMO_COMMAND = "uname -sm";

function toolOutput(request: RecordedRequest): string {
  const last: ChatMessage | undefined = request.messages.at(-1);
  const { content } = last ?? {};
  const text =
    typeof content === "string"
      ? content
      : Array.isArray(content)
        ? content.map((part) => (typeof part.text === "string" ? part.text : "")).join("")
        : "";
  return text.trim();
}

/** The answer once the command's output is back: it quotes that output. */
function answer(request: RecordedRequest): Script {
  const output = toolOutput(request);
  const said = request.lastUserText.trim();
  const ran =
    output === ""
      ? `I ran \`${AGENT_DEMO_COMMAND}\` with the bash tool; it printed nothing.`
      : `I ran \`${AGENT_DEMO_COMMAND}\` with the bash tool; it printed "${output}", so this agent runs on ${output}.`;
  return {
    text: `${ran} You wrote: "${said}". This answer is scripted by the fake-litellm stand-in; point the runtime at a LiteLLM proxy for real ones.`,
  };
}

/**
 * A short agent turn, for demos: a reasoning line, one bash call of
 * `uname -sm`, and an answer that quotes the command's output (read from the
 * tool result opencode sends back). Answers user messages of requests that offer
 * the bash tool and no structured output; a request without bash gets the
 * reasoning and a plain answer.
 */
export function agentDemoRules(): Rule[] {
  const fromUser = (request: RecordedRequest) =>
    request.messages.at(-1)?.role === "user" && request.structuredSchema === undefined;
  return [
    {
      match: (request) => fromUser(request) && request.tools.includes("bash"),
      reply: (request) => ({
        reasoning: `The user wrote "${request.lastUserText.trim()}". I will look at the machine I run on with one harmless command, then answer.`,
        toolCalls: [
          {
            name: "bash",
            arguments: {
              command: AGENT_DEMO_COMMAND,
              description: "Show the operating system and machine type",
            },
          },
        ],
        then: answer,
      }),
    },
    {
      match: fromUser,
      reply: (request) => ({
        reasoning: "No tools are offered, so I answer directly.",
        text: `You wrote: "${request.lastUserText.trim()}". (Scripted by the fake-litellm stand-in.)`,
      }),
    },
  ];
}
