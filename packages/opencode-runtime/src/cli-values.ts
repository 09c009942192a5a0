/** The checks of single flag values: URLs, ports, text, paths. */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { CliUsageError } from "./cli-command-types.js";

export function httpUrl(value: string, flag: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new CliUsageError({ message: `${flag} must be an http(s) URL (got "${value}")`, flag });
  }
  return url;
}

export function port(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) {
    throw new CliUsageError({
      message: `--port must be an integer from 0 to 65535 (got "${value}")`,
      flag: "--port",
    });
  }
  return port;
}

/** A flag's text, which must not be blank. */
export function text(value: string, flag: string): string {
  if (value.trim() === "") throw new CliUsageError({ message: `${flag} must not be empty`, flag });
  return value;
}

/** An absolute path; whether it can be read is checked when it is read, before anything starts. */
export function filePath(value: string, flag: string): string {
  return resolve(text(value, flag));
}

export function directory(value: string, flag: string, mustExist: boolean): string {
  const path = resolve(text(value, flag));
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat ? !stat.isDirectory() : mustExist) {
    throw new CliUsageError({
      message: `${flag}: ${stat ? "not a directory" : "no such directory"}: ${path}`,
      flag,
    });
  }
  return path;
}
