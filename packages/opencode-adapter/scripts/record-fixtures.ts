/**
 * Records the real `opencode serve` event stream for each codec scenario into
 * test/fixtures/<scenario>.jsonl (one event per line): from the subscription
 * until the scenario's sessions are idle and the stream has been quiet for 1 s,
 * with ids, times, paths, ports and versions replaced by stable placeholders.
 *
 *   cd packages/opencode-adapter && npx tsx scripts/record-fixtures.ts [scenario ...]
 *
 * Needs built workspace packages (testkit, fake-litellm, opencode-config).
 */
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type FakeLiteLLM, startFakeLiteLLM } from "@taos/fake-litellm";
import { normalise } from "./recording/normalise.js";
import {
  call,
  createSession,
  KEY,
  log,
  MODEL,
  ofSession,
  prompt,
  recordHeartbeat,
  type Scenario,
  type Server,
  type ServerNeeds,
  Subscription,
  settle,
  small,
  startServer,
} from "./recording/opencode.js";
import { SESSION_SCENARIOS } from "./recording/scenarios-sessions.js";
import { TURN_SCENARIOS } from "./recording/scenarios-turns.js";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "test", "fixtures");
const SCENARIOS: readonly Scenario[] = [...TURN_SCENARIOS, ...SESSION_SCENARIOS];

/** One server per config a scenario needs, each warmed by a first turn. */
class Servers {
  private readonly servers = new Map<string, Server>();

  constructor(private readonly llm: FakeLiteLLM) {}

  async for(needs: ServerNeeds = {}): Promise<Server> {
    const key = JSON.stringify([needs.permission ?? null, needs.limit ?? null]);
    let server = this.servers.get(key);
    if (server === undefined) {
      server = await startServer(this.llm, needs);
      this.servers.set(key, server);
      await this.warm(server, needs);
    }
    return server;
  }

  async close(): Promise<void> {
    for (const { oc, home } of this.servers.values()) {
      await oc.stop();
      await home.cleanup();
    }
  }

  /** A first turn installs plugins and warms caches, so that recordings start from a steady server. */
  private async warm(server: Server, needs: ServerNeeds): Promise<void> {
    const monitor = new Subscription(server.oc);
    // With a small context, every request must report few tokens, or opencode compacts forever.
    this.llm.setRules(needs.limit === undefined ? [] : [{ reply: small("Warm."), titles: true }]);
    const warm = await createSession(server.oc, "warm-up");
    await prompt(server.oc, warm, "warm up");
    await monitor.waitFor(ofSession(warm, "session.idle"), 60_000);
    await settle(monitor, 1500);
    await monitor.close();
  }
}

/** Records one scenario into its fixture; returns opencode's version. */
async function record(scenario: Scenario, llm: FakeLiteLLM, servers: Servers): Promise<string> {
  log(`recording ${scenario.name}`);
  const server = await servers.for({
    ...(scenario.permission === undefined ? {} : { permission: scenario.permission }),
    ...(scenario.limit === undefined ? {} : { limit: scenario.limit }),
  });
  const health = (await call(server.oc, "GET", "/global/health")) as { version?: string };
  llm.setRules(scenario.rules?.(server.home.path) ?? []);
  const sub = new Subscription(server.oc);
  await sub.waitFor((event) => event.type === "server.connected", 10_000);
  await scenario.run({ llm, server, sub });
  // What trails the idle (a second idle, late errors, summaries) is kept: the codec must ignore it.
  await settle(sub);
  await sub.close();
  // Heartbeats come every ~10 s whatever happens: kept out so that a re-recording gives the same file.
  const events = sub.events.filter((e) => e.event.type !== "server.heartbeat");
  await writeFile(
    join(FIXTURES, `${scenario.name}.jsonl`),
    normalise(events, server.home.path, [llm.port, server.oc.port]),
  );
  log(`  ${events.length} events`);
  return health.version ?? "unknown";
}

async function recordHeartbeatFixture(servers: Servers): Promise<void> {
  log("recording heartbeat");
  const server = await servers.for();
  const events = await recordHeartbeat(server);
  await writeFile(
    join(FIXTURES, "heartbeat.jsonl"),
    normalise(events, server.home.path, [server.oc.port]),
  );
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const chosen = SCENARIOS.filter((s) => only.length === 0 || only.includes(s.name));
  const llm = await startFakeLiteLLM({ keys: [KEY], models: [MODEL] });
  const servers = new Servers(llm);
  try {
    const manifestPath = join(FIXTURES, "manifest.json");
    const previous = await readFile(manifestPath, "utf8").then(
      (text) => (JSON.parse(text) as { scenarios?: Record<string, string> }).scenarios ?? {},
      () => ({}),
    );
    const manifest: Record<string, string> = { ...previous };
    let version = "unknown";
    for (const scenario of chosen) {
      version = await record(scenario, llm, servers);
      manifest[scenario.name] = scenario.about;
    }
    if (only.length === 0 || only.includes("heartbeat")) {
      await recordHeartbeatFixture(servers);
      manifest.heartbeat =
        "an idle server: server.connected, then server.heartbeat about every 10 s";
    }
    const file = {
      opencodeVersion: version,
      recordedBy: "scripts/record-fixtures.ts",
      scenarios: manifest,
    };
    await writeFile(manifestPath, `${JSON.stringify(file, null, 2)}\n`);
  } finally {
    await servers.close();
    await llm.close();
  }
}

await main();
