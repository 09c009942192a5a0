import { OpenCodeServer } from "@taos/opencode-server";
import { busyCores, makeTempHome, opencodeBinaryPath } from "@taos/testkit";

const binary = opencodeBinaryPath();
const rows: Record<string, unknown>[] = [];
const logger = {
  debug() {},
  warn() {},
  error() {},
  info(o: Record<string, unknown>, m: string) {
    if (m === "opencode ready") rows.push(o);
  },
};
const busy = busyCores(Number(process.argv[2] ?? "1"));
for (let i = 0; i < 5; i++) {
  const home = await makeTempHome("taos-rp-");
  const t = performance.now();
  const server = new OpenCodeServer({
    home: home.path,
    litellm: { baseURL: "http://127.0.0.1:9/v1", apiKey: "sk-x", modelIds: ["m"] },
    password: "pw",
    binary,
    logger,
  });
  await server.ensureRunning();
  const ms = performance.now() - t;
  await server.stop({ graceMs: 0 });
  await home.cleanup();
  console.log(Math.round(ms), JSON.stringify(rows.at(-1)));
}
await busy.stop();
