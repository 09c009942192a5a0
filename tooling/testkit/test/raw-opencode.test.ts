import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  isProcessAlive,
  makeTempHome,
  type RawOpenCode,
  startRawOpenCode,
  type TempHome,
} from "../src/index.js";

describe("startRawOpenCode", () => {
  let home: TempHome;
  let server: RawOpenCode;

  beforeAll(async () => {
    home = await makeTempHome();
    server = await startRawOpenCode({ home: home.path, password: "pw" });
  });
  afterAll(async () => {
    await server?.stop();
    await home?.cleanup();
  });

  it("starts a real server that enforces its password", async () => {
    const denied = await fetch(`${server.url}/global/health`);
    expect(denied.status).toBe(401);
    const health = await fetch(`${server.url}/global/health`, { headers: server.headers });
    expect(await health.json()).toMatchObject({ healthy: true });
  });

  it("stop() leaves no process behind", async () => {
    await server.stop();
    expect(isProcessAlive(server.pid)).toBe(false);
  });
});
