/**
 * Readiness overhead of @taos/opencode-server: `ensureRunning()` (config write,
 * port pick, spawn, the `listening` line, one authenticated GET /global/health)
 * against the time the same binary takes to print its `listening` line when
 * spawned bare, and against polling (spawn, then GET /doc every
 * 500 ms until it answers). Rounds alternate the three, each on a fresh home
 * with the same environment. Prints one Markdown section; progress to stderr.
 *
 *   npx tsx bench/server-readiness.bench.ts     (from the repo root, after a build)
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { writeOpenCodeConfig } from "@taos/opencode-config";
import { DEFAULT_SERVER_ENV, OpenCodeServer } from "@taos/opencode-server";
import {
  busyCores,
  getFreePort,
  isolatedOpenCodeEnv,
  makeTempHome,
  opencodeBinaryPath,
  type TempHome,
} from "@taos/testkit";

const ROUNDS = 7;
const DOC_POLL_MS = 500;
// httpx's default; a request that connects just before opencode prints its
// listening line gets no answer at all, so that poll needs a timeout.
const DOC_REQUEST_TIMEOUT_MS = 5_000;
const TARGET_MS = 30;
const LOADED_TARGET_MS = 50;
const PASSWORD = "pw-bench-readiness";
const LITELLM = {
  baseURL: "http://127.0.0.1:9/v1",
  apiKey: "sk-bench-readiness",
  modelIds: ["fake-model"],
};
const binary = opencodeBinaryPath();
const version = execFileSync(binary, ["--version"], { encoding: "utf8" }).trim();
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const authorization = `Basic ${Buffer.from(`opencode:${PASSWORD}`).toString("base64")}`;
const homes: TempHome[] = [];
const children = new Set<ChildProcess>();
// The bare and polling children are ours to clean up if the bench is interrupted.
process.on("exit", () => {
  for (const home of homes) rmSync(home.path, { recursive: true, force: true });
  for (const child of children) {
    try {
      process.kill(-(child.pid as number), "SIGKILL");
    } catch {
      // already gone
    }
  }
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(1));

async function freshHome(): Promise<string> {
  const home = await makeTempHome("taos-bench-ready-");
  homes.push(home);
  return home.path;
}

function spawnBare(home: string, port: number): ChildProcess {
  const child = spawn(binary, ["serve", "--port", String(port), "--hostname", "127.0.0.1"], {
    cwd: home,
    env: {
      ...process.env,
      ...DEFAULT_SERVER_ENV,
      ...isolatedOpenCodeEnv(home),
      OPENCODE_SERVER_PASSWORD: PASSWORD,
    },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  child.stderr?.resume();
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      process.kill(-(child.pid as number), "SIGKILL");
    } catch {
      // already gone
    }
    await exited;
  }
  children.delete(child);
}

/** Spawn to the `listening` line, nothing else. */
async function bare(): Promise<number> {
  const home = await freshHome();
  await writeOpenCodeConfig(home, LITELLM);
  const port = await getFreePort();
  const start = performance.now();
  const child = spawnBare(home, port);
  await new Promise<void>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("listening on")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`opencode exited ${code}`)));
  });
  const ms = performance.now() - start;
  child.stdout?.resume();
  await kill(child);
  return ms;
}

// ensureRunning()'s own breakdown, from its "opencode ready" log record.
interface Phases {
  beforeSpawnMs: number[];
  toListeningMs: number[];
  toHealthyMs: number[];
}
const newPhases = (): Phases => ({ beforeSpawnMs: [], toListeningMs: [], toHealthyMs: [] });
let phases = newPhases();
const ignore = (): void => {};
const logger = {
  debug: ignore,
  warn: ignore,
  error: ignore,
  info(object: Record<string, unknown>, message: string): void {
    if (message !== "opencode ready") return;
    phases.beforeSpawnMs.push(object.beforeSpawnMs as number);
    phases.toListeningMs.push(object.toListeningMs as number);
    phases.toHealthyMs.push(object.toHealthyMs as number);
  },
};

/** Everything `ensureRunning()` does, from a new server object. */
async function ours(): Promise<number> {
  const home = await freshHome();
  const start = performance.now();
  const server = new OpenCodeServer({ home, litellm: LITELLM, password: PASSWORD, binary, logger });
  await server.ensureRunning();
  const ms = performance.now() - start;
  await server.stop({ graceMs: 0 });
  return ms;
}

/** Polling the API document: spawn, then GET /doc at once and every 500 ms until a 200. */
async function pollDoc(): Promise<number> {
  const home = await freshHome();
  await writeOpenCodeConfig(home, LITELLM);
  const port = await getFreePort();
  const start = performance.now();
  const child = spawnBare(home, port);
  child.stdout?.resume();
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/doc`, {
      headers: { authorization },
      signal: AbortSignal.timeout(DOC_REQUEST_TIMEOUT_MS),
    }).then(
      async (response) => {
        await response.arrayBuffer();
        return response.status === 200;
      },
      () => false,
    );
    if (ok) break;
    if (child.exitCode !== null) throw new Error("opencode exited");
    await sleep(DOC_POLL_MS);
  }
  const ms = performance.now() - start;
  await kill(child);
  return ms;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const fmt = (ms: number): string => ms.toFixed(0);

type Results = { bare: number[]; ours: number[]; pollDoc: number[] };

/** ROUNDS rounds of the three, alternating in rotating order. */
async function rounds(label: string): Promise<Results> {
  const results: Results = { bare: [], ours: [], pollDoc: [] };
  for (let round = 1; round <= ROUNDS; round += 1) {
    // Alternate, and rotate the order so no method always goes first.
    const order = [
      ["bare", bare],
      ["ours", ours],
      ["pollDoc", pollDoc],
    ] as const;
    for (let i = 0; i < order.length; i += 1) {
      const [name, run] = order[(i + round) % order.length]!;
      const ms = await run();
      results[name].push(ms);
      log(`${label} round ${round}/${ROUNDS} ${name}: ${fmt(ms)} ms`);
    }
  }
  return results;
}

const runs: { label: string; results: Results; phases: Phases; load: [number, number] }[] = [];
try {
  // One unmeasured start first: the first run of a 185 MB binary pays for the page cache.
  await bare();
  for (const busy of [0, 1]) {
    const label = busy === 0 ? "idle" : "one core busy";
    const loops = busyCores(busy);
    const loadBefore = loadavg()[0]!;
    phases = newPhases();
    try {
      const results = await rounds(label);
      runs.push({ label, results, phases, load: [loadBefore, loadavg()[0]!] });
    } finally {
      await loops.stop();
    }
  }
} finally {
  for (const child of children) await kill(child);
  for (const home of homes) await home.cleanup();
}

const row = (name: string, values: readonly number[]): string =>
  `| ${name} | ${fmt(median(values))} | ${fmt(Math.min(...values))} | ${fmt(Math.max(...values))} | ${values.length} |`;

function section(run: (typeof runs)[number]): string[] {
  const { results, phases: p, label, load } = run;
  const paired = results.ours.map((ms, i) => ms - results.bare[i]!);
  const direct = p.beforeSpawnMs.map((ms, i) => ms + p.toHealthyMs[i]!);
  const overhead = median(results.ours) - median(results.bare);
  const target = label === "idle" ? TARGET_MS : LOADED_TARGET_MS;
  return [
    `### ${label === "idle" ? "Idle machine" : "One of the cores kept busy (a busy loop the bench starts)"}`,
    "",
    "| method | median ms | min ms | max ms | runs |",
    "| --- | ---: | ---: | ---: | ---: |",
    row("bare (`listening` line)", results.bare),
    row("`ensureRunning()`", results.ours),
    row("`/doc` polled every 500 ms", results.pollDoc),
    "",
    `- Readiness overhead (median \`ensureRunning()\` − median bare): **${fmt(overhead)} ms**; ` +
      `median of the paired per-round differences: ${fmt(median(paired))} ms.`,
    `- Where \`ensureRunning()\` spends it (medians): ${fmt(median(p.beforeSpawnMs))} ms before the spawn ` +
      "(binary lookup, config write with fsync, port pick, log open), " +
      `${fmt(median(p.toListeningMs))} ms from the spawn to the \`listening\` line (bare: ${fmt(median(results.bare))} ms), ` +
      `${fmt(median(p.toHealthyMs))} ms from the \`listening\` line to a healthy answer ` +
      "(opencode's own first-request latency); before the spawn and after the line together, measured inside each run: " +
      `**${fmt(median(direct))} ms** median.`,
    `- Machine load (1-min load average) ${load[0].toFixed(2)} before, ${load[1].toFixed(2)} after, on ${cpus().length} CPUs.`,
    `- Polling \`/doc\` over \`ensureRunning()\`: ${fmt(median(results.pollDoc) - median(results.ours))} ms slower at the median ` +
      `(${(median(results.pollDoc) / median(results.ours)).toFixed(2)}×).`,
    `- Target: median overhead ≤ ${target} ms. Verdict: **${overhead <= target ? "met" : "NOT met"}**.`,
    "",
  ];
}

process.stdout.write(
  [
    "## Server readiness (`@taos/opencode-server`)",
    "",
    `How long until a fresh \`opencode serve\` (opencode ${version}) can take requests. ` +
      " *Bare*: spawn to the `listening` line on stdout, nothing else (the floor any " +
      "wrapper pays). *ensureRunning*: a new `OpenCodeServer`, then `ensureRunning()`: config write, port pick, " +
      "spawn, the `listening` line, one authenticated `GET /global/health` (backoff from 5 ms). *Polling `/doc`*: spawn, " +
      "then `GET /doc` at once and every 500 ms until it answers 200, each request with a 5 s timeout " +
      "(a readiness check that polls the API document). " +
      `${ROUNDS} rounds, the three alternating in rotating order, each on a fresh home with the same environment; ` +
      "one unmeasured start first warms the page cache. The same rounds again with one of the cores kept busy.",
    "",
    ...runs.flatMap(section),
  ].join("\n"),
);
