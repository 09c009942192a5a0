/**
 * One text turn through our adapter against the official @opencode-ai/sdk client doing
 * the same calls (create a session once, keep one event subscription, promptAsync, read
 * the stream until the session is idle), on the same real `opencode serve` and LiteLLM
 * stand-in, alternating turn by turn. Prints one Markdown section; progress to stderr.
 *
 *   node --import tsx bench/adapter-vs-sdk.bench.ts     (from the repo root, after a build)
 */
import { createOpencodeClient } from "@opencode-ai/sdk";
import { startFakeLiteLLM } from "@taos/fake-litellm";
import { OpenCodeAdapter } from "@taos/opencode-adapter";
import { buildOpenCodeConfig } from "@taos/opencode-config";
import { makeTempHome, startRawOpenCode } from "@taos/testkit";

const TURNS = 60;
const WARMUP = 3;
const KEY = "sk-bench-adapter";
const PASSWORD = "pw-bench-adapter";
const TEXT = "The stand-in streams this answer back in twelve pieces, like a short reply.";
const log = (line: string): void => void process.stderr.write(`${line}\n`);

const llm = await startFakeLiteLLM({
  keys: [KEY],
  rules: [{ match: "bench turn", reply: { text: TEXT, chunks: 12 } }],
});
const home = await makeTempHome("taos-bench-sdk-");
const opencode = await startRawOpenCode({
  home: home.path,
  password: PASSWORD,
  config: buildOpenCodeConfig({ baseURL: llm.url, apiKey: KEY, modelIds: ["fake-model"] }),
});

try {
  // Ours: one adapter, one session; its hub keeps the one event subscription.
  let oursText = "";
  const adapter = new OpenCodeAdapter(
    { baseUrl: opencode.url, password: PASSWORD, modelId: "fake-model" },
    (reply) => {
      if (reply.kind === "final") oursText = reply.content;
    },
  );
  const ours = async (): Promise<string> => {
    const result = await adapter.prompt("bench turn");
    if (result.status !== "completed")
      throw new Error(`our turn ended ${result.status}: ${result.error}`);
    return oursText;
  };

  // The SDK: same calls by hand, one subscription read by one loop.
  const sdk = createOpencodeClient({ baseUrl: opencode.url, headers: opencode.headers });
  const created = await sdk.session.create({ body: {} });
  const sdkSession = created.data?.id;
  if (!sdkSession) throw new Error("the SDK created no session");
  type Handler = (event: { type: string; properties: Record<string, unknown> }) => void;
  let handler: Handler | undefined;
  const subscription = await sdk.event.subscribe();
  void (async () => {
    for await (const event of subscription.stream) {
      handler?.(event as unknown as Parameters<Handler>[0]);
    }
  })();
  const sdkTurn = async (): Promise<string> => {
    let text = "";
    const done = new Promise<void>((resolve, reject) => {
      handler = (event) => {
        const p = event.properties;
        if (p.sessionID !== sdkSession) return;
        if (event.type === "message.part.delta" && p.field === "text") text += String(p.delta);
        if (event.type === "session.error") reject(new Error(JSON.stringify(p.error)));
        if (event.type === "session.status" && (p.status as { type?: string }).type === "idle")
          resolve();
      };
    });
    const sent = await sdk.session.promptAsync({
      path: { id: sdkSession },
      body: {
        model: { providerID: "litellm", modelID: "fake-model" },
        parts: [{ type: "text", text: "bench turn" }],
      },
    });
    if (sent.error) throw new Error(`SDK promptAsync failed: ${JSON.stringify(sent.error)}`);
    await done;
    handler = undefined;
    return text;
  };

  const time = async (run: () => Promise<string>): Promise<number> => {
    const start = performance.now();
    const text = await run();
    const ms = performance.now() - start;
    if (text !== TEXT) throw new Error(`wrong text: ${text}`);
    return ms;
  };

  log(`adapter-vs-sdk: warm-up (${WARMUP} turns each; first turns also make the title request)`);
  for (let i = 0; i < WARMUP; i++) {
    await time(ours);
    await time(sdkTurn);
  }
  const oursMs: number[] = [];
  const sdkMs: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < TURNS; i++) {
    // Alternate which goes first, so drift and warm caches favour neither.
    if (i % 2 === 0) {
      oursMs.push(await time(ours));
      sdkMs.push(await time(sdkTurn));
    } else {
      sdkMs.push(await time(sdkTurn));
      oursMs.push(await time(ours));
    }
    ratios.push((oursMs.at(-1) ?? 0) / (sdkMs.at(-1) ?? 1));
    log(
      `  turn ${i + 1}/${TURNS}: ours ${oursMs.at(-1)?.toFixed(1)} ms, sdk ${sdkMs.at(-1)?.toFixed(1)} ms`,
    );
  }
  await adapter.close();

  const median = (values: number[]): number => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2
      ? (sorted[mid] ?? 0)
      : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  };
  const p90 = (values: number[]): number =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.9)] ?? 0;
  const ratio = median(ratios);
  const verdict =
    ratio <= 1.0
      ? `met: ours is ${ratio.toFixed(2)}x the SDK's time (1.0x or faster was the target)`
      : ratio <= 1.05
        ? `within noise of the target: ${ratio.toFixed(2)}x (target 1.0x or faster)`
        : `missed: ours takes ${ratio.toFixed(2)}x the SDK's time (target 1.0x or faster)`;

  const out = [
    "## Adapter vs official SDK: one text turn",
    "",
    `One text turn (${TEXT.length} characters in 12 streamed chunks) through \`OpenCodeAdapter.prompt()\` and`,
    "through `@opencode-ai/sdk` 1.19 (`session.promptAsync` + one `event.subscribe()` stream read until the",
    "session's `session.status` idle), on the same real `opencode serve` 1.18.33 and LiteLLM stand-in.",
    "Both keep one session and one event subscription across turns; ours also maps every event to",
    "taOS replies (deltas, final with usage) and watches for silence. Turns alternate, the first one",
    `switching each time; ${WARMUP} warm-up turns each, then ${TURNS} measured turns each.`,
    "",
    "| | median ms | p90 ms | min ms |",
    "| --- | ---: | ---: | ---: |",
    `| ours (adapter) | ${median(oursMs).toFixed(1)} | ${p90(oursMs).toFixed(1)} | ${Math.min(...oursMs).toFixed(1)} |`,
    `| official SDK | ${median(sdkMs).toFixed(1)} | ${p90(sdkMs).toFixed(1)} | ${Math.min(...sdkMs).toFixed(1)} |`,
    "",
    `Median of the per-pair ratios (ours / SDK): **${ratio.toFixed(2)}x**.`,
    "",
    `Verdict: ${verdict}.`,
    "The turn's time is almost all opencode's own work (the model call, its database writes);",
    "the client side is a small part of it either way.",
  ];
  process.stdout.write(`${out.join("\n")}\n`);
} catch (error) {
  process.exitCode = 1;
  log(`adapter-vs-sdk failed: ${error instanceof Error ? error.stack : String(error)}`);
} finally {
  await opencode.stop();
  await llm.close();
  await home.cleanup();
}
// The SDK's subscription loop has no close; end the process here.
process.exit();
