import { mkdir, open } from "node:fs/promises";
import type { Readable, Writable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import type { Redactor } from "@taos/internal";
import { ensurePrivateDir } from "@taos/internal";

const TAIL_LINES = 20;
const TAIL_LINE_CHARS = 500;
// A line longer than this is written out in pieces instead of being held in memory.
const MAX_PENDING_CHARS = 64 * 1024;

interface Source {
  readonly stream: Readable;
  readonly decoder: StringDecoder;
  pending: string;
}

/**
 * Where a child's stdout and stderr go: every byte is read at once (a child
 * that floods its output never blocks on a full pipe), split into lines, each
 * line shown to `onLine`, then redacted and appended to the log file. The file
 * is 0600 and opened for appending; its directory is made 0700.
 */
export class LogSink {
  readonly #file: Writable;
  readonly #redactor: Redactor;
  readonly #onLine: (line: string) => void;
  readonly #sources: Source[] = [];
  readonly #tail: string[] = [];
  readonly #ended: Promise<void>[] = [];
  readonly #fileClosed: Promise<void>;
  #paused = false;
  #writable = true;
  #closing = false;

  private constructor(file: Writable, redactor: Redactor, onLine: (line: string) => void) {
    this.#file = file;
    this.#redactor = redactor;
    this.#onLine = onLine;
    this.#fileClosed = new Promise((resolve) => file.once("close", () => resolve()));
    file.on("drain", () => this.#resume());
    // A failing disk must not stall the child: stop writing, keep draining.
    file.on("error", () => {
      this.#writable = false;
      this.#resume();
    });
  }

  /**
   * Opens (creating if needed) `path` for appending with mode 0600. Missing
   * directories are created 0700; with `privateDir`, an existing directory is
   * tightened to 0700 too.
   */
  static async open(options: {
    readonly path: string;
    readonly dir: string;
    readonly privateDir: boolean;
    readonly redactor: Redactor;
    readonly onLine?: (line: string) => void;
  }): Promise<LogSink> {
    if (options.privateDir) await ensurePrivateDir(options.dir);
    else await mkdir(options.dir, { recursive: true, mode: 0o700 });
    const handle = await open(options.path, "a", 0o600);
    try {
      // `open`'s mode only applies to a new file; an old one may be wider.
      await handle.chmod(0o600);
    } catch (error) {
      await handle.close();
      throw error;
    }
    const file = handle.createWriteStream({ encoding: "utf8" });
    return new LogSink(file, options.redactor, options.onLine ?? (() => {}));
  }

  /** Reads `stream` to its end, line by line. */
  attach(stream: Readable): void {
    const source: Source = { stream, decoder: new StringDecoder("utf8"), pending: "" };
    this.#sources.push(source);
    this.#ended.push(
      new Promise<void>((resolve) => {
        const done = (): void => {
          this.#flushPending(source, true);
          resolve();
        };
        stream.once("end", done);
        stream.once("close", done);
        stream.once("error", done);
      }),
    );
    stream.on("data", (chunk: Buffer | string) => this.#onData(source, chunk));
    if (this.#paused) stream.pause();
  }

  /** Writes one line of our own (never shown to `onLine`, never in the tail). */
  note(message: string): void {
    const line = `[taos-opencode-server ${new Date().toISOString()}] ${message}`;
    this.#write(`${this.#redactor.redact(line)}\n`);
  }

  /** The last lines the child printed, redacted. */
  tail(): string[] {
    return [...this.#tail];
  }

  /** Resolves when every attached stream has ended. */
  drained(): Promise<void> {
    return Promise.all(this.#ended).then(() => undefined);
  }

  /** Flushes what is left and closes the file. Safe to call more than once. */
  close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      for (const source of this.#sources) this.#flushPending(source, true);
      for (const source of this.#sources) {
        // Anything still arriving after close is read and dropped.
        source.stream.removeAllListeners("data");
        source.stream.resume();
      }
      this.#writable = false;
      this.#file.end();
    }
    return this.#fileClosed;
  }

  #onData(source: Source, chunk: Buffer | string): void {
    let text = source.pending + (typeof chunk === "string" ? chunk : source.decoder.write(chunk));
    const lastNewline = text.lastIndexOf("\n");
    if (lastNewline >= 0) {
      const complete = text.slice(0, lastNewline);
      text = text.slice(lastNewline + 1);
      for (const line of complete.split("\n"))
        this.#line(line.endsWith("\r") ? line.slice(0, -1) : line);
    }
    source.pending = text;
    if (source.pending.length > MAX_PENDING_CHARS) this.#flushPending(source, false);
  }

  /**
   * Writes a pending partial line. When the line may go on (`final` false),
   * the last `maxLength - 1` chars stay behind: a secret cut in two by a chunk
   * boundary is then still whole when the next chunk comes.
   */
  #flushPending(source: Source, final: boolean): void {
    if (final) source.pending += source.decoder.end();
    if (source.pending === "") return;
    if (final) {
      this.#line(source.pending);
      source.pending = "";
      return;
    }
    const redacted = this.#redactor.redact(source.pending);
    const keep = Math.max(this.#redactor.maxLength - 1, 0);
    const cut = redacted.length - keep;
    this.#write(redacted.slice(0, cut));
    source.pending = redacted.slice(cut);
  }

  #line(raw: string): void {
    this.#onLine(raw);
    const line = this.#redactor.redact(raw);
    this.#tail.push(line.length > TAIL_LINE_CHARS ? `${line.slice(0, TAIL_LINE_CHARS)}…` : line);
    if (this.#tail.length > TAIL_LINES) this.#tail.shift();
    this.#write(`${line}\n`);
  }

  #write(text: string): void {
    if (!this.#writable || text === "") return;
    if (!this.#file.write(text) && !this.#paused) {
      this.#paused = true;
      for (const source of this.#sources) source.stream.pause();
    }
  }

  #resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    for (const source of this.#sources) source.stream.resume();
  }
}
