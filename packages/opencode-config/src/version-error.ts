import { TaosOpenCodeError } from "./errors.js";

/**
 * An opencode version outside the supported range (its protocol differs), found on a
 * binary (`--version`) or on a running server (`/global/health`). Nothing was sent to it.
 */
export class UnsupportedOpenCodeVersionError extends TaosOpenCodeError {
  static override readonly marker: string = "taos.opencode.error.UnsupportedOpenCodeVersionError";
  /** The version the binary or server reported, e.g. `2.0.0`. */
  readonly version: string;
  /** The versions supported, e.g. `>=1.3.0 <2`. */
  readonly range: string;
  /** Where that version was found: the binary's path, or the server's URL (no credentials). */
  readonly binary: string;

  /** `advice` ends the message: what the reader can do about it. */
  constructor(options: {
    readonly version: string;
    readonly range: string;
    readonly binary: string;
    readonly advice: string;
    readonly cause?: unknown;
  }) {
    const { version, range, binary, advice, cause } = options;
    super({
      message: `opencode ${version} at ${binary} is not supported: taos-opencode needs opencode ${range}.${advice === "" ? "" : ` ${advice}`}`,
      cause,
    });
    this.version = version;
    this.range = range;
    this.binary = binary;
  }
}
