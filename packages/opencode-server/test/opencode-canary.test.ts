/**
 * Upstream canaries: opencode's own behaviour that this package relies on,
 * checked against the real binary. A failure here means opencode changed, not
 * that our code did: read the change before adapting the package.
 */
import { type FakeLiteLLM, startFakeLiteLLM } from "@taos/fake-litellm";
import { buildOpenCodeConfig } from "@taos/opencode-config";
import {
  busyCores,
  makeTempHome,
  type OpenCodeInTempHome,
  opencodeBinaryPath,
  scaled,
  startOpenCodeInTempHome,
  type TempHome,
} from "@taos/testkit";
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

// Upstream canary (raw HTTP, none of our code): with OPENCODE_DISABLE_SHARE in the
// environment, aborting the first prompt of a fresh server while its instance boots (the
// session busy, no model call yet) leaves opencode failing every later prompt of every
// session: `POST /session/:id/message` answers 500 `UnknownError` with a `ref`. The window
// is widest on busy cores, so two busy loops run during the first prompt, and each try
// takes a fresh server. This is why the server package turns sharing off in the config
// instead; when this test fails, opencode fixed the bug: read its change before relying on
// the variable again.

let llm: FakeLiteLLM;

const KEY = "sk-canary-early-abort-77";
const TRIES = 3;

async function call(oc: OpenCodeInTempHome, method: string, path: string, body?: unknown) {
  const response = await fetch(`${oc.url}${path}`, {
    method,
    headers: { ...oc.headers, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? undefined : (JSON.parse(text) as unknown) };
}

/** Resolves when the event stream says the session went busy. */
async function busyOn(oc: OpenCodeInTempHome, signal: AbortSignal): Promise<void> {
  const response = await fetch(`${oc.url}/event`, { headers: oc.headers, signal });
  const reader = (response.body as ReadableStream<Uint8Array>)
    .pipeThrough(new TextDecoderStream())
    .getReader();
  let seen = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the event stream ended before the session went busy");
    seen += value;
    if (seen.includes('"type":"busy"')) return;
  }
}

const model = { providerID: "litellm", modelID: "m" };
const prompt = (text: string) => ({ model, parts: [{ type: "text", text }] });

/** One fresh server: the early abort, then one prompt in the same and one in a new session. */
async function tryOnce(): Promise<{ same: unknown; fresh: unknown }> {
  const oc = await startOpenCodeInTempHome({
    homePrefix: "taos-canary-abort-",
    password: "canary-pw-0123",
    config: buildOpenCodeConfig({ baseURL: llm.url, apiKey: KEY, modelIds: ["m"] }),
    env: { OPENCODE_DISABLE_SHARE: "1" },
  });
  const stream = new AbortController();
  const busy = busyCores(2);
  try {
    const session = (await call(oc, "POST", "/session", {})).body as { id: string };
    const wentBusy = busyOn(oc, stream.signal);
    await call(oc, "POST", `/session/${session.id}/prompt_async`, prompt("first"));
    await wentBusy;
    await call(oc, "POST", `/session/${session.id}/abort`);
    await busy.stop();
    const same = await call(oc, "POST", `/session/${session.id}/message`, prompt("second"));
    const other = (await call(oc, "POST", "/session", {})).body as { id: string };
    const fresh = await call(oc, "POST", `/session/${other.id}/message`, prompt("third"));
    return {
      same: same.status === 500 ? same.body : same.status,
      fresh: fresh.status === 500 ? fresh.body : fresh.status,
    };
  } finally {
    stream.abort();
    await busy.stop();
    await oc.stop();
  }
}

describe("opencode serve (upstream canary): OPENCODE_DISABLE_SHARE and an early abort", () => {
  beforeAll(async () => {
    llm = await startFakeLiteLLM({ keys: [KEY], models: ["m"] });
  });

  afterAll(async () => {
    await llm?.close();
  });

  it(
    "breaks the server: later prompts of every session answer 500 UnknownError with a ref",
    async () => {
      const broken = {
        name: "UnknownError",
        data: { message: expect.any(String), ref: expect.stringMatching(/^err_/) },
      };
      const seen: unknown[] = [];
      for (let i = 0; i < TRIES; i++) {
        const outcome = await tryOnce();
        seen.push(outcome);
        if (typeof outcome.same === "object") break;
      }
      const last = seen.at(-1);
      expect(last, `tries: ${JSON.stringify(seen)}`).toEqual({ same: broken, fresh: broken });
    },
    scaled(300_000),
  );
});
