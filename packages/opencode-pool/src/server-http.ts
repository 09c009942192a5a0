/** The few requests the pool itself makes to an agent's server. */
import type { LaunchedServer } from "./launcher.js";

/** Basic auth of the server, when it has a password. */
export function authHeaders(server: LaunchedServer): Record<string, string> {
  if (!server.auth) return {};
  const token = Buffer.from(`${server.auth.username}:${server.auth.password}`).toString("base64");
  return { authorization: `Basic ${token}` };
}

/** Makes opencode create the instance of `directory` (config, plugins) now rather than at a turn. */
export async function bootstrapInstance(
  server: LaunchedServer,
  directory: string,
  signal: AbortSignal,
): Promise<void> {
  const url = new URL("/session", server.baseUrl);
  url.searchParams.set("directory", directory);
  const response = await fetch(url, {
    headers: authHeaders(server),
    signal: AbortSignal.any([signal, AbortSignal.timeout(120_000)]),
  });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`opencode answered ${response.status} to GET /session`);
}
