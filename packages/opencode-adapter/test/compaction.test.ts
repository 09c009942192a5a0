/**
 * A compaction through a whole turn: the real-binary recording played by the fake server to
 * the adapter, so that ownership and the codec both see it, on their one record of the
 * turn's assistant messages.
 */
import { afterEach, describe, expect, it } from "vitest";
import { OpenCodeAdapter } from "../src/index.js";
import { loadFixture } from "./codec-support.js";
import { type FakeOpenCode, startFakeOpenCode } from "./fake-opencode.js";
import { collectingSink, until } from "./support.js";

const open: { close(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((item) => item.close()));
});

/** The recording's events, its message ids renamed after the prompt's own (`msg_1` is the prompt). */
function recordedTurn(userMessageId: string): unknown[] {
  return loadFixture("compaction")
    .lines.map((line) =>
      line.replace(/"msg_(\d)"/g, (_, n: string) =>
        n === "1" ? `"${userMessageId}"` : `"${userMessageId}_${n}"`,
      ),
    )
    .map((line) => JSON.parse(line) as { type?: string })
    .filter((event) => event.type !== "server.connected");
}

describe("a compaction in the middle of a turn", () => {
  it("streams and answers the text around the summary, never the summary's own", async () => {
    const server: FakeOpenCode = await startFakeOpenCode();
    open.push(server);
    const out = collectingSink();
    const adapter = new OpenCodeAdapter(
      { baseUrl: server.url, modelId: "fake-model", sessionId: "ses_1" },
      out.sink,
    );
    open.push(adapter);
    const turn = adapter.prompt("overflow the context");
    await until(() => server.requests.some((r) => r.path.endsWith("/prompt_async")));
    for (const event of recordedTurn(server.lastMessageId())) server.send(event);
    const result = await turn;
    const answer = "A first answer that overflows the context.\n\nContinuing after the compaction.";
    expect(result).toMatchObject({ status: "completed", text: answer });
    expect(out.deltaText()).toBe(answer);
    expect(out.of("final")).toEqual([expect.objectContaining({ content: answer })]);
  });
});
