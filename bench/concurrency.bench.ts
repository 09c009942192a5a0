/**
 * 1, 8 and 32 concurrent text turns on one real `opencode serve`: CPU time of this
 * process per turn (process.cpuUsage), with our adapters (one shared event subscription)
 * and with a stream-per-turn client (one /event stream per turn, every event parsed by every
 * turn), rounds alternating. The LiteLLM stand-in runs in a child process so its CPU is
 * not counted. Prints one Markdown section; progress to stderr.
 *
 *   node --import tsx bench/concurrency.bench.ts     (from the repo root, after a build)
 */
import { rmSync } from "node:fs";
import { OpenCodeAdapter } from "@taos/opencode-adapter";
import { buildOpenCodeConfig } from "@taos/opencode-config";
import { makeTempHome, startRawOpenCode } from "@taos/testkit";
import { startStandInProcess } from "./stand-in.js";

const LEVELS = [1, 8, 32];
const TURNS_PER_LEVEL = Number(process.env.BENCH_TURNS ?? 64);
const KEY = "sk-bench-concurrency";
const PASSWORD = "pw-bench-concurrency";
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const cleanups: (() => unknown)[] = [];
process.once("SIGTERM", () => {
  for (const cleanup of cleanups) cleanup();
  process.exit(143);
});

// The stand-in's CLI in its own process: echo replies, 5 chunks each.
const { url: llmUrl, child } = await startStandInProcess([KEY]);
cleanups.push(() => child.kill("SIGTERM"));
const home = await makeTempHome("taos-bench-conc-");
const opencode = await startRawOpenCode({
  home: home.path,
  password: PASSWORD,
  config: buildOpenCodeConfig({ baseURL: llmUrl, apiKey: KEY, modelIds: ["fake-model"] }),
});
cleanups.push(() => process.kill(-opencode.pid, "SIGKILL"));
cleanups.push(() => rmSync(home.path, { recursive: true, force: true }));
const headers = { ...opencode.headers, "content-type": "application/json" };

/** A bench turn that hangs fails the bench instead. */
const timeout = (): AbortSignal => AbortSignal.timeout(60_000);

/** A stream-per-turn client: its own `/event` stream per turn, every event of the server parsed. */
async function naiveTurn(
  sessionId: string,
  text: string,
): Promise<{ text: string; parsed: number }> {
  const controller = new AbortController();
  const signal = AbortSignal.any([controller.signal, timeout()]);
  const response = await fetch(`${opencode.url}/event`, { headers, signal });
  const reader = (response.body as ReadableStream<Uint8Array>)
    .pipeThrough(new TextDecoderStream())
    .getReader();
  let buffer = "";
  let reply = "";
  let parsed = 0;
  let sent = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error("stream ended");
      buffer += value;
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf("\n\n");
        if (!block.startsWith("data: ")) continue;
        const event = JSON.parse(block.slice(6)) as {
          type: string;
          properties?: Record<string, unknown>;
        };
        parsed++;
        if (event.type === "server.connected" && !sent) {
          sent = true;
          const post = await fetch(`${opencode.url}/session/${sessionId}/prompt_async`, {
            method: "POST",
            headers,
            body: JSON.stringify({
              model: { providerID: "litellm", modelID: "fake-model" },
              parts: [{ type: "text", text }],
            }),
          });
          if (post.status !== 204) throw new Error(`prompt_async ${post.status}`);
          continue;
        }
        const p = event.properties;
        if (p?.sessionID !== sessionId) continue;
        if (event.type === "message.part.delta" && p.field === "text") reply += String(p.delta);
        if (event.type === "session.status" && (p.status as { type?: string }).type === "idle") {
          return { text: reply, parsed };
        }
      }
    }
  } finally {
    controller.abort();
  }
}

interface Row {
  readonly level: number;
  readonly oursCpu: number;
  readonly naiveCpu: number;
  readonly oursWall: number;
  readonly naiveWall: number;
  readonly naiveParsed: number;
}

const cpuMs = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

const rows: Row[] = [];
try {
  for (const level of LEVELS) {
    const adapters = Array.from(
      { length: level },
      () =>
        new OpenCodeAdapter(
          { baseUrl: opencode.url, password: PASSWORD, modelId: "fake-model" },
          () => undefined,
        ),
    );
    const texts = adapters.map((_, i) => `turn text for session number ${i} of ${level}`);
    // Warm-up: each session's first prompt also asks the model for a title.
    const warm = await Promise.all(
      adapters.map((a, i) => a.prompt(texts[i] ?? "", { signal: timeout() })),
    );
    if (warm.some((r) => r.status !== "completed"))
      throw new Error(`warm-up: ${JSON.stringify(warm)}`);
    log(`  warm-up: ${warm.map((r) => r.status).join(" ")}`);
    // The stream-per-turn turns get sessions of their own: two clients taking turns on one session
    // would each see the other's events.
    const sessions = await Promise.all(
      adapters.map(async () => {
        const response = await fetch(`${opencode.url}/session`, {
          method: "POST",
          headers,
          body: "{}",
        });
        return ((await response.json()) as { id: string }).id;
      }),
    );
    await Promise.all(sessions.map((id, i) => naiveTurn(id, texts[i] ?? "")));
    const rounds = Math.max(4, Math.ceil(TURNS_PER_LEVEL / level));
    let oursCpu = 0;
    let naiveCpu = 0;
    let oursWall = 0;
    let naiveWall = 0;
    let naiveParsed = 0;
    log(`concurrency: ${level} concurrent turns x ${rounds} rounds, each way`);
    for (let round = 0; round < rounds; round++) {
      const runOurs = async (): Promise<void> => {
        const cpu = cpuMs();
        const start = performance.now();
        const results = await Promise.all(
          adapters.map((a, i) => a.prompt(texts[i] ?? "", { signal: timeout() })),
        );
        oursWall += performance.now() - start;
        oursCpu += cpuMs() - cpu;
        results.forEach((r, i) => {
          if (r.status !== "completed" || r.text !== texts[i])
            throw new Error(`ours: ${r.status} ${r.text}`);
        });
      };
      const runNaive = async (): Promise<void> => {
        const cpu = cpuMs();
        const start = performance.now();
        const results = await Promise.all(sessions.map((id, i) => naiveTurn(id, texts[i] ?? "")));
        naiveWall += performance.now() - start;
        naiveCpu += cpuMs() - cpu;
        results.forEach((r, i) => {
          if (r.text !== texts[i]) throw new Error(`naive: ${r.text}`);
          naiveParsed += r.parsed;
        });
      };
      if (round % 2 === 0) {
        await runOurs();
        await runNaive();
      } else {
        await runNaive();
        await runOurs();
      }
      log(`  round ${round + 1}/${rounds} done`);
    }
    await Promise.all(adapters.map((a) => a.close()));
    const turns = rounds * level;
    rows.push({
      level,
      oursCpu: oursCpu / turns,
      naiveCpu: naiveCpu / turns,
      oursWall: oursWall / rounds,
      naiveWall: naiveWall / rounds,
      naiveParsed: naiveParsed / turns,
    });
    log(
      `  ours ${(oursCpu / turns).toFixed(2)} ms CPU/turn, stream-per-turn ${(naiveCpu / turns).toFixed(2)} ms CPU/turn`,
    );
  }

  const first = rows[0];
  const last = rows.at(-1);
  const growth = first && last ? last.oursCpu / first.oursCpu : Number.NaN;
  const naiveGrowth = first && last ? last.naiveCpu / first.naiveCpu : Number.NaN;
  const verdict =
    growth <= 1.25
      ? `met: CPU per turn at ${last?.level} concurrent turns is ${growth.toFixed(2)}x that of 1 (flat was the target)`
      : `missed: CPU per turn grows ${growth.toFixed(2)}x from 1 to ${last?.level} concurrent turns (target flat)`;
  const out = [
    "## Concurrent turns: CPU per turn",
    "",
    "N text turns at once (N = 1, 8, 32 sessions, one adapter each) on one real `opencode serve` 1.18.33;",
    "the LiteLLM stand-in runs in a child process (echo replies, 5 chunks). CPU is this process's",
    'user + system time (`process.cpuUsage`) over each round, divided by its turns. "Ours" shares one',
    '`/global/event` subscription among all adapters and routes each event once by session; "stream-per-turn"',
    "opens one `/event` stream per turn and parses every event of the server in every turn.",
    `Rounds alternate between the two; ${TURNS_PER_LEVEL} turns or more per level each way, after one warm-up turn per session.`,
    "",
    "| concurrent turns | ours: CPU ms/turn | stream-per-turn: CPU ms/turn | stream-per-turn: events parsed/turn | ours: wall ms/round | stream-per-turn: wall ms/round |",
    "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map(
      (r) =>
        `| ${r.level} | ${r.oursCpu.toFixed(2)} | ${r.naiveCpu.toFixed(2)} | ${r.naiveParsed.toFixed(0)} | ${r.oursWall.toFixed(0)} | ${r.naiveWall.toFixed(0)} |`,
    ),
    "",
    `Ours from 1 to ${last?.level}: ${growth.toFixed(2)}x CPU per turn; stream-per-turn: ${naiveGrowth.toFixed(2)}x.`,
    "CPU per turn falls with N because the per-round costs (timers, wake-ups) are shared by more turns;",
    "what must not happen is growth with N. Wall time per round is opencode's own scheduling of N turns",
    "at once and is noisy on a shared host; the CPU columns are what the client controls.",
    "",
    `Verdict: ${verdict}.`,
  ];
  process.stdout.write(`${out.join("\n")}\n`);
} catch (error) {
  process.exitCode = 1;
  log(`concurrency failed: ${error instanceof Error ? error.stack : String(error)}`);
} finally {
  await opencode.stop();
  child.kill("SIGTERM");
  await home.cleanup();
}
