import { execFile } from "node:child_process";
import { DEFAULT_SERVER_ENV, resolveOpenCodeBinary } from "@taos/opencode-server";

const quote = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/**
 * The SQL that moves sessions recorded under `from` (the agent's working
 * directory on the old host) to `to`: opencode runs a session in its recorded
 * directory, so one left pointing at the old host's path gets no answer.
 */
export function relocateSql(from: string, to: string): string {
  const prefix = `${from}/`;
  return [
    `UPDATE session SET directory = ${quote(to)} || substr(directory, ${from.length + 1})`,
    `WHERE directory = ${quote(from)} OR substr(directory, 1, ${prefix.length}) = ${quote(prefix)};`,
  ].join(" ");
}

/** Runs `opencode db <sql>` on the database under `home` (a stopped agent's), with the server's isolation. */
export function relocateSessions(
  home: string,
  from: string,
  to: string,
  binary: string | undefined,
): Promise<void> {
  const env: Record<string, string> = {
    ...DEFAULT_SERVER_ENV,
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    XDG_CONFIG_HOME: `${home}/.config`,
    XDG_DATA_HOME: `${home}/.local/share`,
    XDG_CACHE_HOME: `${home}/.cache`,
    XDG_STATE_HOME: `${home}/.local/state`,
  };
  const executable = binary ?? resolveOpenCodeBinary();
  return new Promise((resolve, reject) => {
    execFile(
      executable,
      ["db", relocateSql(from, to)],
      { env, cwd: home, timeout: 60_000, killSignal: "SIGKILL", maxBuffer: 1024 * 1024 },
      (error) =>
        error
          ? reject(new Error(`opencode db could not move the sessions to ${to}`, { cause: error }))
          : resolve(),
    );
  });
}
