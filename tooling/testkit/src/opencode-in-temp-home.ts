import {
  type RawOpenCode,
  type StartRawOpenCodeOptions,
  startRawOpenCode,
} from "./raw-opencode.js";
import { makeTempHome } from "./temp-home.js";

export interface StartOpenCodeInTempHomeOptions extends Omit<StartRawOpenCodeOptions, "home"> {
  /** The start of the temporary home's directory name (`taos-oc-` when not given). */
  readonly homePrefix?: string;
}

/** A raw `opencode serve` that owns its temporary home. */
export interface OpenCodeInTempHome extends RawOpenCode {
  /** The temporary home: config, data and cache of this server. */
  readonly home: string;
  /** Stops the server, then removes its home. */
  stop(): Promise<void>;
}

/**
 * Makes a temporary home and starts the real `opencode serve` in it (see
 * `startRawOpenCode`); `stop()` ends the server and removes the home. When the
 * server does not start, the home is removed before the error is thrown.
 */
export async function startOpenCodeInTempHome(
  options: StartOpenCodeInTempHomeOptions = {},
): Promise<OpenCodeInTempHome> {
  const { homePrefix, ...rest } = options;
  const home = await makeTempHome(homePrefix);
  let opencode: RawOpenCode;
  try {
    opencode = await startRawOpenCode({ ...rest, home: home.path });
  } catch (error) {
    await home.cleanup();
    throw error;
  }
  return {
    url: opencode.url,
    port: opencode.port,
    pid: opencode.pid,
    headers: opencode.headers,
    home: home.path,
    output: () => opencode.output(),
    stop: async () => {
      await opencode.stop();
      await home.cleanup();
    },
  };
}
