/**
 * The pool's eviction rule on `pool.bench.ts`'s workload, simulated: no opencode, the
 * pool's own `chooseEviction` and `recentTurns`, turns of fixed length (a warm one
 * WARM_MS, one that starts a server COLD_MS), CONCURRENCY at a time on SERVERS slots,
 * a turn of a busy agent waiting for it. Counts the starts each rule causes: LRU, the
 * rule before (an agent whose turn before last was among the pool's last 4 x maxServers
 * turns is kept), and the rule now (fewest turns among the last 8 x maxServers first).
 * Deterministic; runs in milliseconds. Prints one Markdown section.
 *
 *   node --import tsx bench/eviction.bench.ts
 */
import {
  chooseEviction,
  RECENT_TURNS_PER_SERVER,
  recentTurns,
} from "@taos/opencode-pool/internals";
import { poolWorkload } from "./pool-workload.js";

const AGENTS = 24;
const SERVERS = 6;
const TURNS = 200;
const CONCURRENCY = 4;
const HOT = 3;
const [WARM_MS, COLD_MS] = [500, 7_000];

const workload = poolWorkload(AGENTS, TURNS, HOT);

/** What a rule reports for an agent: its turns' ends (pool turn counter), and the counter now. */
type Score = (turnSeqs: readonly number[], turnSeq: number) => number;
const rules: Record<string, Score> = {
  LRU: () => 0,
  "came back within 4 x maxServers turns (before)": (seqs, now) => {
    const previous = seqs.at(-2) ?? 0;
    return previous > 0 && now - previous < 4 * SERVERS ? 1 : 0;
  },
  [`fewest of the last ${RECENT_TURNS_PER_SERVER} x maxServers turns (now)`]: (seqs, now) =>
    recentTurns(seqs, now, SERVERS),
};

function simulate(score: Score): number {
  const servers = new Map<number, { busy: boolean; lastUseSeq: number }>();
  const ends: { at: number; agent: number }[] = [];
  const waiting: number[] = [];
  const turnSeqs = new Map<number, number[]>();
  let [now, next, turnSeq, useSeq, starts] = [0, 0, 0, 0, 0];
  const tryRun = (agent: number): boolean => {
    let server = servers.get(agent);
    if (server?.busy) return false;
    let length = WARM_MS;
    if (server === undefined) {
      if (servers.size >= SERVERS) {
        const victim = chooseEviction(
          [...servers].map(([id, s]) => ({
            agentId: String(id),
            phase: s.busy ? "busy" : "idle",
            lastUseSeq: s.lastUseSeq,
            recentTurns: score(turnSeqs.get(id) ?? [], turnSeq),
          })),
        );
        if (victim === undefined) return false;
        servers.delete(Number(victim));
      }
      server = { busy: false, lastUseSeq: useSeq };
      servers.set(agent, server);
      [starts, length] = [starts + 1, COLD_MS];
    }
    server.busy = true;
    ends.push({ at: now + length, agent });
    return true;
  };
  const pump = (): void => {
    for (let i = 0; i < waiting.length; ) {
      if (tryRun(waiting[i] as number)) waiting.splice(i, 1);
      else i++;
    }
  };
  const issue = (): void => void (next < TURNS && waiting.push(workload[next++] as number));
  for (let i = 0; i < CONCURRENCY; i++) issue();
  pump();
  while (ends.length > 0) {
    ends.sort((a, b) => a.at - b.at);
    const end = ends.shift() as { at: number; agent: number };
    now = end.at;
    const server = servers.get(end.agent);
    if (server) Object.assign(server, { busy: false, lastUseSeq: ++useSeq });
    turnSeq += 1;
    turnSeqs.set(end.agent, [...(turnSeqs.get(end.agent) ?? []), turnSeq]);
    issue();
    pump();
  }
  return starts;
}

const rows = Object.entries(rules).map(([name, score]) => `| ${name} | ${simulate(score)} |`);
process.stdout.write(
  [
    "## Eviction rules on the pool bench's workload, simulated (@taos/opencode-pool)",
    "",
    `\`pool.bench.ts\`'s workload (${AGENTS} agents, ${HOT} hot ones taking 60% of ${TURNS} turns, the same seed), ${CONCURRENCY} turns at a time on \`maxServers: ${SERVERS}\`, simulated: the pool's own \`chooseEviction\` picks the server to stop, a warm turn lasts ${WARM_MS} ms and one that starts a server ${COLD_MS} ms, a turn of a busy agent waits for it. No opencode; the measured run is the pool section above.`,
    "",
    "| eviction rule | server starts |",
    "| --- | ---: |",
    ...rows,
    "",
  ].join("\n"),
);
