import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The adapter's recorded `opencode serve` event streams (real 1.18.33 output, ids normalised). */
export const FIXTURE_DIR: string = join(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "packages",
  "opencode-adapter",
  "test",
  "fixtures",
);

/** Every recorded turn of one session (`ses_1` only): text, reasoning, tools, errors, abort, asks. */
export function singleSessionFixtures(): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((file) => file.endsWith(".jsonl"))
    .map((file) => file.slice(0, -".jsonl".length))
    .filter((name) => {
      const text = readFileSync(join(FIXTURE_DIR, `${name}.jsonl`), "utf8");
      return text.includes('"ses_1"') && !text.includes('"ses_2"');
    })
    .sort();
}

/** The raw `data` lines of a fixture, as the stream carried them. */
export function fixtureLines(name: string): string[] {
  return readFileSync(join(FIXTURE_DIR, `${name}.jsonl`), "utf8")
    .split("\n")
    .filter((line) => line !== "");
}

/**
 * A fixture's lines moved to another session: every `"ses_1"` becomes `"<sessionId>"`.
 * Message, part and call ids stay as recorded, so turns of different sessions share them:
 * anything keyed by those ids alone would mix the turns up.
 */
export function asSession(lines: readonly string[], sessionId: string, from = "ses_1"): string[] {
  return lines.map((line) => line.split(`"${from}"`).join(`"${sessionId}"`));
}

/** Whether a raw line is opencode's own `server.connected` greeting. */
export function isConnectedLine(line: string): boolean {
  return line.includes('"type":"server.connected"');
}

const MESSAGE_ID = /"msg_(\d+)"/g;

/**
 * A fixture's lines with its message ids moved under `userMessageId` (the id a prompt was
 * sent with): the first message (`msg_1`, the prompt's user message) becomes that id, and
 * every later `msg_N` an id after it, in the same order.
 */
export function withUserMessageId(lines: readonly string[], userMessageId: string): string[] {
  return lines.map((line) =>
    line.replace(MESSAGE_ID, (_, n: string) =>
      n === "1" ? `"${userMessageId}"` : `"${userMessageId}${n.padStart(4, "0")}"`,
    ),
  );
}
