import { createServer } from "node:net";
import { InvalidServerOptionError, PortInUseError } from "./errors.js";

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

/**
 * `probePort` with its failures named as the options that caused them: a
 * privileged port (`port`), an address this host cannot listen on (`hostname`).
 */
export async function probeOptionPort(hostname: string, port: number): Promise<number | undefined> {
  try {
    return await probePort(hostname, port);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EACCES") {
      throw new InvalidServerOptionError({
        field: "port",
        message: `${port} needs privileges to bind`,
      });
    }
    throw new InvalidServerOptionError({
      field: "hostname",
      message: `cannot listen on "${hostname}" (${code ?? String(error)})`,
    });
  }
}

/** The port to pass to opencode: the one given (if free), or one the OS picked for 0. */
export async function choosePort(hostname: string, port: number): Promise<number> {
  const bound = await probeOptionPort(hostname, port);
  if (bound === undefined) throw new PortInUseError({ port, hostname });
  return bound;
}
