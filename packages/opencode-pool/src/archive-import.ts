import { createWriteStream, mkdirSync } from "node:fs";
import { open } from "node:fs/promises";
import { dirname, join } from "node:path";
import { finished } from "node:stream/promises";
import { Parser, type ReadEntry } from "tar";
import {
  type ArchiveLimits,
  type ArchiveManifest,
  DATABASE_PATH,
  entryProblem,
  HOME_PREFIX,
  isSqliteHeader,
  MANIFEST_ENTRY,
  manifestProblem,
} from "./archive-rules.js";
import { InvalidArchiveError } from "./errors.js";

/** An archive as `importAgent` takes it: bytes, a Node stream or a web stream. */
export type ArchiveSource = Uint8Array | AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;

const MANIFEST_MAX_BYTES = 256 * 1024;

/** The entries' checks and writes, one archive at a time. */
class Extraction {
  failure: InvalidArchiveError | undefined;
  manifest: unknown;
  readonly #dir: string;
  readonly #limits: ArchiveLimits;
  readonly #writes: Promise<unknown>[] = [];
  #seen = { entries: 0, bytes: 0 };

  constructor(dir: string, limits: ArchiveLimits) {
    this.#dir = dir;
    this.#limits = limits;
  }

  onEntry(entry: ReadEntry): void {
    const problem = this.failure === undefined ? this.#problem(entry) : "";
    if (problem !== undefined) {
      if (problem !== "")
        this.fail(new InvalidArchiveError({ message: problem, entry: entry.path }));
      entry.resume();
      return;
    }
    const size = entry.size ?? 0;
    this.#seen = { entries: this.#seen.entries + 1, bytes: this.#seen.bytes + size };
    if (entry.path === MANIFEST_ENTRY) this.#readManifest(entry, size);
    else this.#write(entry);
  }

  #problem(entry: ReadEntry): string | undefined {
    const checked = { path: entry.path, type: entry.type, size: entry.size ?? 0 };
    const problem = entryProblem(checked, this.#limits, this.#seen);
    if (problem === undefined && this.#seen.entries === 0 && entry.path !== MANIFEST_ENTRY)
      return `the first entry must be ${MANIFEST_ENTRY}`;
    return problem;
  }

  // The path passed entryProblem: relative, no "..", no link on the way (links are refused).
  #write(entry: ReadEntry): void {
    const target = join(this.#dir, entry.path);
    try {
      if (entry.type === "Directory") {
        mkdirSync(target, { recursive: true, mode: 0o700 });
        entry.resume();
        return;
      }
      mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
      const out = createWriteStream(target, { flags: "wx", mode: 0o600 });
      entry.pipe(out);
      this.#writes.push(finished(out).catch((error: unknown) => this.#writeFailed(entry, error)));
    } catch (error) {
      this.#writeFailed(entry, error);
    }
  }

  #readManifest(entry: ReadEntry, size: number): void {
    if (size > MANIFEST_MAX_BYTES) {
      this.fail(
        new InvalidArchiveError({ message: "the manifest is too large", entry: entry.path }),
      );
      return void entry.resume();
    }
    const chunks: Buffer[] = [];
    entry.on("data", (chunk: Buffer) => void chunks.push(chunk));
    entry.on("end", () => {
      try {
        this.manifest = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch (error) {
        this.fail(new InvalidArchiveError({ message: "the manifest is not JSON", cause: error }));
      }
    });
  }

  #writeFailed(entry: ReadEntry, error: unknown): void {
    entry.resume();
    this.fail(
      new InvalidArchiveError({
        message: "an entry could not be written",
        entry: entry.path,
        cause: error,
      }),
    );
  }

  fail(error: InvalidArchiveError): void {
    this.failure ??= error;
  }

  settled(): Promise<unknown> {
    return Promise.all(this.#writes);
  }
}

/**
 * Unpacks an agent archive into `dir` (a fresh private folder), checking every
 * entry before it is written; throws `InvalidArchiveError` at the first bad one.
 * `dir` is the caller's to remove on failure.
 */
export async function extractArchive(
  source: ArchiveSource,
  dir: string,
  limits: ArchiveLimits,
): Promise<ArchiveManifest> {
  const extraction = new Extraction(dir, limits);
  const parser = new Parser({ strict: true });
  parser.on("entry", (entry: ReadEntry) => extraction.onEntry(entry));
  const done = new Promise<void>((resolve) => {
    parser.on("error", (error: Error) => {
      extraction.fail(
        new InvalidArchiveError({ message: "not a readable tar archive", cause: error }),
      );
      resolve();
    });
    parser.on("close", () => resolve());
  });
  await feed(source, parser, extraction, done);
  await done;
  await extraction.settled();
  if (extraction.failure) throw extraction.failure;
  return checkContents(extraction.manifest, dir);
}

async function feed(
  source: ArchiveSource,
  parser: Parser,
  extraction: Extraction,
  done: Promise<void>,
): Promise<void> {
  const chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array> =
    source instanceof Uint8Array ? [source] : (source as AsyncIterable<Uint8Array>);
  try {
    for await (const chunk of chunks) {
      if (extraction.failure) break;
      if (!parser.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)))
        await Promise.race([new Promise((resolve) => parser.once("drain", resolve)), done]);
    }
  } catch (error) {
    extraction.fail(
      new InvalidArchiveError({ message: "the archive stream failed", cause: error }),
    );
  }
  parser.end();
}

async function checkContents(manifest: unknown, dir: string): Promise<ArchiveManifest> {
  if (manifest === undefined) throw new InvalidArchiveError({ message: "no manifest" });
  const problem = manifestProblem(manifest);
  if (problem !== undefined)
    throw new InvalidArchiveError({ message: problem, entry: MANIFEST_ENTRY });
  const database = join(dir, HOME_PREFIX, DATABASE_PATH);
  const header = new Uint8Array(16);
  const file = await open(database).catch(() => undefined);
  if (file !== undefined) {
    try {
      await file.read(header, 0, 16, 0);
    } finally {
      await file.close();
    }
    if (!isSqliteHeader(header))
      throw new InvalidArchiveError({
        message: "the database is not SQLite",
        entry: `${HOME_PREFIX}${DATABASE_PATH}`,
      });
  }
  return manifest as ArchiveManifest;
}
