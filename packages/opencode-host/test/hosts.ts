import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { OpenCodePool } from "@taos/opencode-pool";
import { makeTempHome, type TempHome } from "@taos/testkit";
import { createHostHandler, RemotePool } from "../src/index.js";

export const SECRET = "test-host-secret-0123456789abcdef-xyz";

/** One host on loopback: a pool with its own root, its handler on a port-0 server, a client. */
export interface TestHost {
  readonly temp: TempHome;
  readonly pool: OpenCodePool;
  readonly server: Server;
  readonly url: string;
  readonly remote: RemotePool;
  close(): Promise<void>;
}

export async function startHost(name: string, litellmUrl: string): Promise<TestHost> {
  const temp = await makeTempHome(`taos-host-${name}-`);
  const pool = new OpenCodePool({
    root: temp.path,
    litellm: { baseURL: litellmUrl },
    maxServers: 2,
    queueTimeoutMs: 120_000,
  });
  const server = createServer(createHostHandler(pool, { secret: SECRET, heartbeatMs: 1_000 }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const remote = new RemotePool({ url, secret: SECRET });
  return {
    temp,
    pool,
    server,
    url,
    remote,
    async close() {
      await remote.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.close({ graceMs: 0 });
      await temp.cleanup();
    },
  };
}

/** Collects an async byte stream. */
export async function bytesOf(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}
