import { createServer } from "node:net";

/**
 * Binds `hostname:port` for an instant and lets go. Resolves with the port
 * bound (the OS picks one for 0), or `undefined` when another process holds
 * it. Any other failure (e.g. an address this host does not have) rejects.
 */
export function probePort(hostname: string, port: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE") resolve(undefined);
      else reject(error);
    });
    server.listen({ port, host: hostname, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}

/** A port free on `hostname` right now (another process may still take it before opencode binds). */
export async function pickFreePort(hostname: string): Promise<number> {
  const port = await probePort(hostname, 0);
  if (port === undefined) throw new Error(`no free port on ${hostname}`);
  return port;
}
