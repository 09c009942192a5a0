import { connect, createServer, type Server, type Socket } from "node:net";

export interface CuttingProxyOptions {
  /** The port to forward to, read per connection (a restarted server may have moved). */
  readonly upstreamPort: () => number | undefined;
  readonly upstreamHost?: string;
}

export interface CuttingProxy {
  /** `http://127.0.0.1:PORT`: give this to the client instead of the server's URL. */
  readonly url: string;
  readonly port: number;
  /** Connections that carried an event-stream request (`GET /event`, `GET /global/event`). */
  eventStreams(): number;
  /** Destroys every connection carrying an event stream, both sides; returns how many. */
  cutEventStreams(): number;
  /** Connections accepted so far. */
  accepted(): number;
  close(): Promise<void>;
}

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  event: boolean;
}

// A request line anywhere in a chunk: keep-alive connections carry several requests,
// and the pool may open the stream on a connection that served a plain request before.
const EVENT_REQUEST = /(?:^|\r\n)GET \/(?:global\/)?event(?:[ ?])/;

/**
 * A TCP proxy on 127.0.0.1 in front of `opencode serve` that can cut its event streams
 * while the server and every other connection stay up: the "stream dropped" fault.
 */
export async function startCuttingProxy(options: CuttingProxyOptions): Promise<CuttingProxy> {
  const host = options.upstreamHost ?? "127.0.0.1";
  const pairs = new Set<Pair>();
  let accepted = 0;
  const server = createServer((client) => {
    accepted++;
    const port = options.upstreamPort();
    if (port === undefined) client.destroy();
    else pairs.add(pairUp(client, connect({ host, port }), pairs));
  });
  const port = await listenOnLoopback(server);
  const destroy = (pair: Pair): void => {
    pairs.delete(pair);
    pair.client.destroy();
    pair.upstream.destroy();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    eventStreams: () => [...pairs].filter((pair) => pair.event).length,
    cutEventStreams(): number {
      const cut = [...pairs].filter((pair) => pair.event);
      for (const pair of cut) destroy(pair);
      return cut.length;
    },
    accepted: () => accepted,
    close(): Promise<void> {
      for (const pair of pairs) destroy(pair);
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Pipes a client to its upstream both ways, marking the pair once it carries an event stream. */
function pairUp(client: Socket, upstream: Socket, pairs: Set<Pair>): Pair {
  const pair: Pair = { client, upstream, event: false };
  const drop = (): void => {
    pairs.delete(pair);
    client.destroy();
    upstream.destroy();
  };
  client.on("data", (chunk: Buffer) => {
    if (!pair.event && EVENT_REQUEST.test(chunk.toString("latin1"))) pair.event = true;
  });
  client.pipe(upstream);
  upstream.pipe(client);
  for (const socket of [client, upstream]) {
    socket.on("error", drop);
    socket.on("close", drop);
  }
  return pair;
}

async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  return typeof address === "object" && address !== null ? address.port : 0;
}
