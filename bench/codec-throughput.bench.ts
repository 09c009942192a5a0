/**
 * Codec throughput on the recorded opencode streams, against a loop that only
 * JSON.parses every event. Prints one Markdown section; progress to stderr.
 *
 *   node --import tsx bench/codec-throughput.bench.ts     (from the repo root, after a build)
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  createTurnState,
  mapOpenCodeEvent,
  mapOpenCodeEventData,
  type TurnState,
} from "@taos/opencode-adapter";
import { eventSessionId, readEventHeader } from "@taos/opencode-adapter/internals";

const FIXTURES = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "packages",
  "opencode-adapter",
  "test",
  "fixtures",
);
const TARGET_EVENTS = 100_000;
const ROUNDS = 15;
const WARMUP_ROUNDS = 3;
const log = (line: string): void => void process.stderr.write(`${line}\n`);

interface Corpus {
  readonly name: string;
  /** Each recorded stream once; a pass replays them `repeat` times, each time as new turns. */
  readonly streams: readonly (readonly string[])[];
  readonly repeat: number;
  readonly events: number;
}

function corpus(name: string, files: readonly string[]): Corpus {
  const streams = files.map((file) =>
    readFileSync(join(FIXTURES, file), "utf8").split("\n").filter(Boolean),
  );
  const perPass = streams.reduce((sum, lines) => sum + lines.length, 0);
  const repeat = Math.ceil(TARGET_EVENTS / perPass);
  return { name, streams, repeat, events: perPass * repeat };
}

const all = readdirSync(FIXTURES)
  .filter((file) => file.endsWith(".jsonl"))
  .sort();
const corpora: Corpus[] = [
  corpus(`all ${all.length} recorded streams`, all),
  corpus("long text turn (200 deltas)", ["long-text.jsonl"]),
];

// Both sessions a recording may carry get a turn, as a client serving both would have.
const SESSIONS = ["ses_1", "ses_2"];
let sink = 0;

/** Baseline: what any consumer of the stream pays at least. */
function parseOnly(c: Corpus): void {
  for (let r = 0; r < c.repeat; r++) {
    for (const lines of c.streams) {
      for (const line of lines) {
        const event = JSON.parse(line) as { type?: string };
        if (event.type !== undefined) sink++;
      }
    }
  }
}

/** Parse every event, route it by session, map it. */
function parseAndMap(c: Corpus): void {
  for (let r = 0; r < c.repeat; r++) {
    for (const lines of c.streams) {
      const turns = new Map<string, TurnState>(SESSIONS.map((id) => [id, createTurnState(id)]));
      for (const line of lines) {
        const event: unknown = JSON.parse(line);
        const sessionId = eventSessionId(event);
        const state = sessionId === undefined ? undefined : turns.get(sessionId);
        if (state !== undefined) sink += mapOpenCodeEvent(event, state).length;
      }
    }
  }
}

/**
 * What the client does per raw event: route by the head, map through the raw
 * path; parse in full only what has no routable head or is a permission or
 * question ask (which the client must read).
 */
function routeAndMapData(c: Corpus): void {
  for (let r = 0; r < c.repeat; r++) {
    for (const lines of c.streams) {
      const turns = new Map<string, TurnState>(SESSIONS.map((id) => [id, createTurnState(id)]));
      for (const line of lines) {
        const header = readEventHeader(line);
        if (header === undefined) {
          const event: unknown = JSON.parse(line);
          const sessionId = eventSessionId(event);
          const state = sessionId === undefined ? undefined : turns.get(sessionId);
          if (state !== undefined) sink += mapOpenCodeEvent(event, state).length;
        } else if (header.sessionId !== undefined) {
          const state = turns.get(header.sessionId);
          if (state !== undefined) sink += mapOpenCodeEventData(line, state).length;
        } else if (header.type === "permission.asked" || header.type === "question.asked") {
          sink += (JSON.parse(line) as { type: string }).type.length;
        }
      }
    }
  }
}

const variants = [
  { name: "JSON.parse only", run: parseOnly },
  { name: "JSON.parse + mapOpenCodeEvent", run: parseAndMap },
  { name: "readEventHeader + mapOpenCodeEventData", run: routeAndMapData },
] as const;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function time(run: (c: Corpus) => void, c: Corpus): number {
  const start = process.hrtime.bigint();
  run(c);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

interface Row {
  readonly corpus: Corpus;
  readonly ms: number[];
  readonly ratios: number[];
}

const rows: Row[] = [];
for (const c of corpora) {
  log(`codec-throughput: ${c.name}, ${c.events} events per pass`);
  const samples = variants.map(() => [] as number[]);
  // Per round, each variant's time over the baseline's time in that same round.
  const perRoundRatio = variants.map(() => [] as number[]);
  for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
    // Rotate the order so that no variant always runs first (or right after a GC-heavy one).
    const order = variants.map((_, i) => (i + round) % variants.length);
    const times: number[] = [];
    for (const i of order) times[i] = time(variants[i]!.run, c);
    if (round < WARMUP_ROUNDS) continue;
    times.forEach((ms, i) => {
      samples[i]!.push(ms);
      perRoundRatio[i]!.push(times[0]! / ms);
    });
    log(
      `  round ${round - WARMUP_ROUNDS + 1}/${ROUNDS}: ${times.map((ms) => ms.toFixed(1)).join(" / ")} ms`,
    );
  }
  rows.push({ corpus: c, ms: samples.map(median), ratios: perRoundRatio.map(median) });
}
log(`(checksum ${sink})`);

const rate = (events: number, ms: number): string =>
  `${(((events / ms) * 1000) / 1e6).toFixed(2)} M/s`;
const lines: string[] = [
  "## Codec throughput",
  "",
  "What: turning opencode's `GET /event` stream into replies, per event, on the recorded streams",
  "(`packages/opencode-adapter/test/fixtures`, opencode 1.18.33), each replayed as new turns until a",
  `pass holds about ${TARGET_EVENTS.toLocaleString("en")} events. Every turn of a recording (\`ses_1\`, \`ses_2\`) gets a TurnState.`,
  "",
  "How: three loops over the same raw `data` strings, side by side in one process, their order rotated",
  `each round, ${ROUNDS} rounds after ${WARMUP_ROUNDS} warm-up rounds; the table gives the median time per pass and the`,
  "median of the per-round ratios (baseline time / variant time: above 1.0x is faster than the baseline).",
  "- baseline: `JSON.parse` of every event, nothing else;",
  "- parsed: `JSON.parse`, `eventSessionId`, `mapOpenCodeEvent` (the codec on objects);",
  "- raw: `readEventHeader` to route, `mapOpenCodeEventData` for the turn's events (skips what no reply",
  "  needs without parsing, reads text deltas without a full parse), `JSON.parse` only for events with no",
  "  routable head or a permission/question ask: what the client does per event.",
  "",
  "| stream | events/pass | baseline: JSON.parse only | parsed: parse + map | raw: head + mapOpenCodeEventData |",
  "|---|---:|---:|---:|---:|",
];
for (const row of rows) {
  const c = row.corpus;
  const cell = (i: number): string =>
    `${row.ms[i]!.toFixed(1)} ms, ${rate(c.events, row.ms[i]!)}${i === 0 ? "" : `, **${row.ratios[i]!.toFixed(2)}x**`}`;
  lines.push(
    `| ${c.name} | ${c.events.toLocaleString("en")} | ${cell(0)} | ${cell(1)} | ${cell(2)} |`,
  );
}
const worst = Math.min(...rows.map((row) => row.ratios[2]!));
lines.push(
  "",
  `Verdict: target 1.0x or better for the client's per-event path (raw). Measured: ${rows
    .map((row) => `${row.ratios[2]!.toFixed(2)}x (${row.corpus.name})`)
    .join(", ")}: ${worst >= 1 ? "met" : "NOT met"}.`,
);
process.stdout.write(`${lines.join("\n")}\n`);
