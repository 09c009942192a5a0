import { readFile } from "node:fs/promises";
import { basename, extname } from "node:path";
import type { Attachment } from "@taos/opencode-adapter";
import { type CliTurnOptions, CliUsageError } from "./cli-command-types.js";

/** The files a run sends, read before anything starts. */
export interface RunInputs {
  readonly attachments: readonly Attachment[];
  /** The JSON Schema of a structured answer (`--schema`). */
  readonly schema: Readonly<Record<string, unknown>> | undefined;
}

// opencode reads text and images; anything else travels as opaque bytes.
const MIME_BY_EXTENSION: Readonly<Record<string, string>> = {
  ".txt": "text/plain",
  ".md": "text/markdown",
  ".csv": "text/csv",
  ".html": "text/html",
  ".json": "application/json",
  ".yaml": "application/yaml",
  ".yml": "application/yaml",
  ".xml": "application/xml",
  ".pdf": "application/pdf",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".svg": "image/svg+xml",
};

/** The MIME type a file is sent as, from its extension; source code and the like are text. */
export function mimeTypeOf(path: string): string {
  const known = MIME_BY_EXTENSION[extname(path).toLowerCase()];
  return known ?? "text/plain";
}

/** Reads `--file` and `--schema`; a file that cannot be read is a usage error naming it. */
export async function readRunInputs(turn: CliTurnOptions): Promise<RunInputs> {
  const attachments = await Promise.all(
    turn.files.map(async (path) => ({
      mimeType: mimeTypeOf(path),
      data: await readOrExplain(path, "--file"),
      filename: basename(path),
    })),
  );
  const schema =
    turn.schemaFile === undefined ? undefined : await readSchema(turn.schemaFile, "--schema");
  return { attachments, schema };
}

async function readSchema(path: string, flag: string): Promise<Record<string, unknown>> {
  const bytes = await readOrExplain(path, flag);
  let schema: unknown;
  try {
    schema = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliUsageError({ message: `${flag}: not JSON: ${path}: ${reason}`, flag });
  }
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) {
    throw new CliUsageError({ message: `${flag}: not a JSON Schema object: ${path}`, flag });
  }
  return schema as Record<string, unknown>;
}

const READ_FAILURES: Readonly<Record<string, string>> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EISDIR: "a directory, not a file",
};

async function readOrExplain(path: string, flag: string): Promise<Uint8Array> {
  try {
    const bytes = await readFile(path);
    if (bytes.length === 0) {
      throw new CliUsageError({ message: `${flag}: the file is empty: ${path}`, flag });
    }
    return bytes;
  } catch (error) {
    if (CliUsageError.isInstance(error)) throw error;
    const code = String((error as { code?: unknown }).code);
    const reason = READ_FAILURES[code] ?? (error instanceof Error ? error.message : String(error));
    throw new CliUsageError({ message: `${flag}: cannot read ${path}: ${reason}`, flag });
  }
}
