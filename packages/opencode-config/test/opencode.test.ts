import { makeTempHome, type RawOpenCode, startRawOpenCode, type TempHome } from "@taos/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { type OpenCodeConfigOptions, toConfigEnv, writeOpenCodeConfig } from "../src/index.js";

const options: OpenCodeConfigOptions = {
  baseURL: "http://127.0.0.1:9/v1",
  apiKey: "sk-agent-key",
  modelIds: ["model-a", "model-b"],
  providerId: "litellm",
};

interface ProvidersResponse {
  providers: Array<{ id: string; name: string; models: Record<string, unknown> }>;
}

describe("the real opencode binary", () => {
  let home: TempHome | undefined;
  let server: RawOpenCode | undefined;
  afterEach(async () => {
    await server?.stop();
    await home?.cleanup();
  });

  async function providers(srv: RawOpenCode): Promise<ProvidersResponse["providers"]> {
    const response = await fetch(`${srv.url}/config/providers`, { headers: srv.headers });
    expect(response.status).toBe(200);
    return ((await response.json()) as ProvidersResponse).providers;
  }

  it("accepts the written file and lists the provider and its models", async () => {
    home = await makeTempHome();
    await writeOpenCodeConfig(home.path, options);
    server = await startRawOpenCode({ home: home.path });
    const litellm = (await providers(server)).find((p) => p.id === "litellm");
    expect(litellm?.name).toBe("LiteLLM");
    expect(Object.keys(litellm?.models ?? {})).toEqual(["model-a", "model-b"]);
  });

  it("takes a model's context window and name from per-model settings", async () => {
    home = await makeTempHome();
    await writeOpenCodeConfig(home.path, {
      ...options,
      modelIds: ["model-a", { id: "small", name: "Small", limit: { context: 2000, output: 500 } }],
    });
    server = await startRawOpenCode({ home: home.path });
    const litellm = (await providers(server)).find((p) => p.id === "litellm");
    const small = litellm?.models.small as
      | { name?: string; limit?: { context?: number; output?: number } }
      | undefined;
    expect(small?.name).toBe("Small");
    expect(small?.limit).toMatchObject({ context: 2000, output: 500 });
  });

  it("accepts the same config through OPENCODE_CONFIG_CONTENT", async () => {
    home = await makeTempHome();
    server = await startRawOpenCode({ home: home.path, env: toConfigEnv(options) });
    const litellm = (await providers(server)).find((p) => p.id === "litellm");
    expect(Object.keys(litellm?.models ?? {})).toEqual(["model-a", "model-b"]);
  });
});
