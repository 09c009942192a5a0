import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { Header } from "tar";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  AgentBusyError,
  AgentExistsError,
  ARCHIVE_FORMAT,
  ARCHIVE_VERSION,
  InvalidArchiveError,
  type InvalidPoolOptionError,
  OpenCodePool,
} from "../src/index.js";
import { fakeLauncher, fakeTurns, SQLITE_HEADER } from "./fakes.js";

const SETTINGS = { apiKey: "sk-archive-key-0001", modelIds: ["m"] };
const DB = "home/.local/share/opencode/opencode.db";

interface RawEntry {
  readonly path: string;
  readonly type?: string;
  readonly body?: Buffer;
  readonly linkpath?: string;
}

/** A tar built block by block, so a test can write what a well-behaved packer never would. */
function rawTar(entries: readonly RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = entry.body ?? Buffer.alloc(0);
    const block = Buffer.alloc(512);
    new Header({
      path: entry.path,
      type: (entry.type ?? "File") as "File",
      size: entry.type === undefined || entry.type === "File" ? body.length : 0,
      mode: 0o644,
      mtime: new Date(0),
      ...(entry.linkpath === undefined ? {} : { linkpath: entry.linkpath }),
    }).encode(block, 0);
    blocks.push(block);
    if (body.length > 0) blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

const manifest = (extra: Record<string, unknown> = {}): RawEntry => ({
  path: "manifest.json",
  body: Buffer.from(
    JSON.stringify({
      format: ARCHIVE_FORMAT,
      version: ARCHIVE_VERSION,
      agentId: "x",
      cwd: "/old/home",
      ...extra,
    }),
  ),
});

let base: string;
let root: string;
let pool: OpenCodePool;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), "taos-archive-"));
  root = join(base, "root");
  await mkdir(root);
  pool = new OpenCodePool({
    root,
    litellm: { baseURL: "http://127.0.0.1:9/v1" },
    launcher: fakeLauncher(),
  });
});

afterEach(async () => {
  await pool.close({ graceMs: 0 });
  await rm(base, { recursive: true, force: true });
});

/** The import is refused with an InvalidArchiveError and leaves no file anywhere. */
async function expectRefused(archive: Buffer, message: RegExp): Promise<void> {
  const error = await pool.importAgent("moved", archive, SETTINGS).catch((e: unknown) => e);
  expect(InvalidArchiveError.isInstance(error)).toBe(true);
  expect((error as Error).message).toMatch(message);
  expect(await readdir(root)).toEqual([]);
  expect((await readdir(base)).sort()).toEqual(["root"]);
  expect((await pool.stats()).agents).toEqual([]);
}

describe("importAgent refuses bad archives with nothing written", () => {
  it("a path with ../", async () => {
    const archive = rawTar([
      manifest(),
      { path: "home/../../escaped.txt", body: Buffer.from("x") },
    ]);
    await expectRefused(archive, /leaves the home/);
  });

  it("an absolute path", async () => {
    await expectRefused(
      rawTar([manifest(), { path: "/tmp/abs.txt", body: Buffer.from("x") }]),
      /absolute/,
    );
  });

  it("a symbolic link and a hard link", async () => {
    const sym = { path: "home/l", type: "SymbolicLink", linkpath: "/etc/passwd" };
    await expectRefused(rawTar([manifest(), sym]), /SymbolicLink/);
    const hard = { path: "home/h", type: "Link", linkpath: "manifest.json" };
    await expectRefused(rawTar([manifest(), hard]), /Link/);
  });

  it("a device", async () => {
    await expectRefused(
      rawTar([manifest(), { path: "home/d", type: "CharacterDevice" }]),
      /CharacterDevice/,
    );
  });

  it("garbage and an empty input", async () => {
    await expectRefused(
      Buffer.from("this is not a tar archive at all ".repeat(40)),
      /tar|manifest/,
    );
    await expectRefused(Buffer.alloc(0), /tar|manifest/);
  });

  it("an entry over the size cap, and a total over its cap", async () => {
    const big = rawTar([manifest(), { path: "home/big", body: Buffer.alloc(4096, 1) }]);
    const error = await pool
      .importAgent("moved", big, SETTINGS, { limits: { maxEntryBytes: 1024 } })
      .catch((e: unknown) => e);
    expect(InvalidArchiveError.isInstance(error)).toBe(true);
    expect((error as InvalidArchiveError).entry).toBe("home/big");
    const many = rawTar([
      manifest(),
      ...[1, 2, 3].map((n) => ({ path: `home/f${n}`, body: Buffer.alloc(900, n) })),
    ]);
    const total = await pool
      .importAgent("moved", many, SETTINGS, { limits: { maxTotalBytes: 2048 } })
      .catch((e: unknown) => e);
    expect((total as Error).message).toMatch(/2048 bytes cap/);
    expect(await readdir(root)).toEqual([]);
  });

  it("an unknown manifest, a missing one, and a database that is not SQLite", async () => {
    await expectRefused(rawTar([manifest({ version: 99 })]), /version/);
    await expectRefused(rawTar([{ path: "home/a", body: Buffer.from("x") }]), /first entry/);
    await expectRefused(
      rawTar([manifest(), { path: DB, body: Buffer.alloc(100, 7) }]),
      /not SQLite/,
    );
  });

  it("an agent id that is registered, or whose home exists", async () => {
    const good = rawTar([manifest(), { path: DB, body: SQLITE_HEADER }]);
    await pool.register("taken", SETTINGS);
    expect(
      AgentExistsError.isInstance(
        await pool.importAgent("taken", good, SETTINGS).catch((e: unknown) => e),
      ),
    ).toBe(true);
    await mkdir(join(root, "leftover"));
    expect(
      AgentExistsError.isInstance(
        await pool.importAgent("leftover", good, SETTINGS).catch((e: unknown) => e),
      ),
    ).toBe(true);
    expect((await readdir(root)).sort()).toEqual(["leftover", "taken"]);
  });

  it("bad ids, settings and limits, naming the field", async () => {
    const good = rawTar([manifest(), { path: DB, body: SQLITE_HEADER }]);
    const fieldOf = async (call: Promise<unknown>) =>
      ((await call.catch((e: unknown) => e)) as InvalidPoolOptionError).field;
    expect(await fieldOf(pool.importAgent("../x", good, SETTINGS))).toBe("importAgent.agentId");
    expect(await fieldOf(pool.importAgent("ok", good, { ...SETTINGS, cwd: "rel" }))).toBe(
      "importAgent.settings.cwd",
    );
    expect(
      await fieldOf(pool.importAgent("ok", good, SETTINGS, { limits: { maxEntries: 0 } })),
    ).toBe("importAgent.options.limits.maxEntries");
    expect(await readdir(root)).toEqual([]);
  });
});

describe("importAgent of a good archive", () => {
  it("unpacks the home 0700 under the root and registers the agent", async () => {
    const archive = rawTar([
      manifest({ agentId: "from-a", cwd: join(root, "moved") }),
      { path: "home/.local/share/opencode", type: "Directory" },
      { path: DB, body: SQLITE_HEADER },
      { path: "home/notes.txt", body: Buffer.from("kept") },
    ]);
    const got = await pool.importAgent("moved", archive, SETTINGS);
    expect(got).toMatchObject({ format: ARCHIVE_FORMAT, agentId: "from-a" });
    expect(await readdir(root)).toEqual(["moved"]);
    expect((await stat(join(root, "moved"))).mode & 0o777).toBe(0o700);
    expect(await readFile(join(root, "moved", "notes.txt"), "utf8")).toBe("kept");
    expect((await pool.stats()).agents.map((agent) => agent.agentId)).toEqual(["moved"]);
  });

  it("exportAgent then importAgent round-trips the home, without the key's config, logs or caches", async () => {
    // One cwd on both sides: nothing to relocate in this (not really SQLite) database.
    const cwd = join(base, "work");
    await pool.register("src", { ...SETTINGS, cwd });
    const home = join(root, "src");
    await mkdir(join(home, ".local/share/opencode/log"), { recursive: true });
    await mkdir(join(home, ".config/opencode"), { recursive: true });
    await mkdir(join(home, ".cache"), { recursive: true });
    await writeFile(join(home, ".local/share/opencode/opencode.db"), SQLITE_HEADER);
    await writeFile(join(home, ".local/share/opencode/opencode.db-wal"), "wal");
    await writeFile(join(home, ".local/share/opencode/log/x.log"), "log");
    await writeFile(join(home, ".config/opencode/opencode.json"), SETTINGS.apiKey);
    await writeFile(join(home, ".cache/c"), "cache");
    const chunks: Buffer[] = [];
    for await (const chunk of await pool.exportAgent("src")) chunks.push(chunk as Buffer);
    const archive = Buffer.concat(chunks);
    expect(archive.includes(Buffer.from(SETTINGS.apiKey))).toBe(false);
    const got = await pool.importAgent("dst", archive, {
      ...SETTINGS,
      cwd,
      apiKey: "sk-other-key-0002",
    });
    expect(got).toMatchObject({ agentId: "src", files: 2, settings: { modelIds: ["m"] } });
    expect(JSON.stringify(got)).not.toContain(SETTINGS.apiKey);
    const dst = join(root, "dst");
    expect(await readFile(join(dst, ".local/share/opencode/opencode.db-wal"), "utf8")).toBe("wal");
    for (const gone of [".local/share/opencode/log", ".config/opencode/opencode.json", ".cache"])
      await expect(stat(join(dst, gone))).rejects.toThrow();
    expect((await readdir(base)).sort()).toEqual(["root"]);
  });
});

describe("exportAgent and running turns", () => {
  it("refuses with agent_busy while a turn runs past waitMs; waits for it otherwise, then stops the server", async () => {
    const launcher = fakeLauncher();
    const held = fakeTurns("hold");
    await pool.close();
    pool = new OpenCodePool({ root, litellm: { baseURL: "http://127.0.0.1:9/v1" }, launcher });
    await pool.register("busy", SETTINGS);
    const turn = pool.turn("busy", "hold on", "t-hold", () => undefined, {
      adapterFactory: held.factory,
    });
    await expect.poll(() => held.held()).toBe(1);
    const refused = await pool.exportAgent("busy", { waitMs: 50 }).catch((e: unknown) => e);
    expect(AgentBusyError.isInstance(refused)).toBe(true);
    expect((refused as AgentBusyError).code).toBe("agent_busy");
    expect(launcher.running.has("busy")).toBe(true);
    const exporting = pool.exportAgent("busy", { waitMs: 60_000 });
    held.releaseAll();
    expect((await turn).status).toBe("completed");
    const archive = await exporting;
    archive.resume();
    expect(launcher.running.has("busy")).toBe(false);
    expect((await pool.stats()).agents[0]?.state).toBe("stopped");
  });
});
