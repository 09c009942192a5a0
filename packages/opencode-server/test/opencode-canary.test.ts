/**
 * Upstream canaries: opencode's own behaviour that this package relies on,
 * checked against the real binary. A failure here means opencode changed, not
 * that our code did: read the change before adapting the package.
 */
import { makeTempHome, opencodeBinaryPath, type TempHome } from "@taos/testkit";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenCodeServer } from "../src/index.js";

const USERNAME = "taos-canary";
const PASSWORD = "canary-password-0123456789";

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
}

describe("opencode serve (upstream canaries)", () => {
  let temp: TempHome;
  let server: OpenCodeServer;

  beforeAll(async () => {
    temp = await makeTempHome("taos-oc-canary-");
    server = new OpenCodeServer({
      home: temp.path,
      litellm: { baseURL: "http://127.0.0.1:9/v1", apiKey: "sk-canary-0123", modelIds: ["m"] },
      binary: opencodeBinaryPath(),
      username: USERNAME,
      password: PASSWORD,
    });
    await server.ensureRunning();
  });

  afterAll(async () => {
    await server?.stop();
    await temp?.cleanup();
  });

  it("OPENCODE_SERVER_PASSWORD/USERNAME turn on Basic auth for every route, health and /doc included", async () => {
    const statuses: Record<string, number[]> = {};
    for (const path of ["/global/health", "/doc", "/session"]) {
      const url = `${server.baseUrl}${path}`;
      statuses[path] = [
        (await fetch(url)).status,
        (await fetch(url, { headers: { authorization: basic(USERNAME, "wrong") } })).status,
        // The default user name with the right password: the user name counts too.
        (await fetch(url, { headers: { authorization: basic("opencode", PASSWORD) } })).status,
        (await fetch(url, { headers: { authorization: basic(USERNAME, PASSWORD) } })).status,
      ];
    }
    expect(statuses).toEqual({
      "/global/health": [401, 401, 401, 200],
      "/doc": [401, 401, 401, 200],
      "/session": [401, 401, 401, 200],
    });
  });

  it("/global/health answers {healthy: true, version}, the version `opencode --version` prints", async () => {
    const response = await fetch(`${server.baseUrl}/global/health`, {
      headers: { authorization: basic(USERNAME, PASSWORD) },
    });
    const body = (await response.json()) as { healthy: unknown; version: unknown };
    const { stdout } = await execa(opencodeBinaryPath(), ["--version"]);
    expect(body).toEqual({ healthy: true, version: stdout.trim() });
  });

  it("/doc is the OpenAPI document, and its info.version is not opencode's version", async () => {
    // The readiness fallback for servers without /global/health: it must take
    // the version from `opencode --version`, not from here.
    const response = await fetch(`${server.baseUrl}/doc`, {
      headers: { authorization: basic(USERNAME, PASSWORD) },
    });
    const doc = (await response.json()) as { openapi?: unknown; info?: { version?: unknown } };
    expect(typeof doc.openapi).toBe("string");
    expect(typeof doc.info?.version).toBe("string");
    expect(doc.info?.version).not.toBe(server.version);
  });
});
