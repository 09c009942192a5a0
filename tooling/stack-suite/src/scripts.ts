import type { Rule, TextScript } from "@taos/fake-litellm";
import type { Random } from "./random.js";

const WORDS = [
  "alpha",
  "Bravo",
  "charlie",
  "délta",
  "echo",
  "漢字",
  "fox",
  "🙂",
  "golf",
  "ünïcode",
  "hotel",
  "—",
];

/** A reply text unique to `tag`, with multi-byte and astral characters, about `words` words long. */
export function uniqueText(tag: string, words: number, random: Random): string {
  const out = [`[${tag}]`];
  for (let i = 0; i < words; i++) out.push(random.pick(WORDS));
  return out.join(" ");
}

/** One scripted turn: the prompt taOS sends and what the stand-in streams back for it. */
export interface ScriptedTurn {
  readonly prompt: string;
  readonly reply: TextScript;
}

/** A rule answering exactly this prompt (matched on the request's last user text). */
export function ruleFor(turn: ScriptedTurn): Rule {
  return { match: (request) => request.lastUserText === turn.prompt, reply: turn.reply };
}

/** A turn with a unique prompt and a unique reply of `chunks` pieces. */
export function scriptTurn(tag: string, random: Random, chunks?: number): ScriptedTurn {
  const pieces = chunks ?? random.int(3, 40);
  return {
    // Bracketed, so that no prompt is a substring of another (plain string rules stay exact).
    prompt: `prompt <${tag}>`,
    reply: { text: uniqueText(tag, pieces + random.int(0, 20), random), chunks: pieces },
  };
}
