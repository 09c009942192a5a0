/** What the fault test files share: adapters and fake servers made for a test, closed after it. */
import { afterEach } from "vitest";
import { OpenCodeAdapter, type OpenCodeAdapterConfig, type Reply } from "../src/index.js";
import { type FakeOpenCode, startFakeOpenCode } from "./fake-opencode.js";

const open: { close(): Promise<void> }[] = [];

export function closeAfterEach(): void {
  afterEach(async () => {
    await Promise.all(open.splice(0).map((item) => item.close()));
  });
}

export function adapter(
  baseUrl: string,
  sink: (reply: Reply) => void | Promise<void>,
  config: Partial<OpenCodeAdapterConfig> = {},
): OpenCodeAdapter {
  const created = new OpenCodeAdapter({ baseUrl, modelId: "fake-model", ...config }, sink);
  open.push(created);
  return created;
}

export async function fake(
  options: Parameters<typeof startFakeOpenCode>[0],
): Promise<FakeOpenCode> {
  const server = await startFakeOpenCode(options);
  open.push(server);
  return server;
}

export function timers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;
}
