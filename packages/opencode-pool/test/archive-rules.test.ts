import { describe, expect, it } from "vitest";
import { ARCHIVE_FORMAT, DEFAULT_ARCHIVE_LIMITS } from "../src/index.js";
import { entryProblem, isExportedPath, isSqliteHeader, manifestProblem } from "../src/internals.js";
import { relocateSql } from "../src/relocate.js";
import { SQLITE_HEADER } from "./fakes.js";

describe("the archive rules (pure)", () => {
  it("exports state, never the key's config, logs or caches", () => {
    expect(isExportedPath(".local/share/opencode/opencode.db")).toBe(true);
    expect(isExportedPath(".local/share/opencode/opencode.db-wal")).toBe(true);
    expect(isExportedPath(".local/share/opencode/storage/session/a.json")).toBe(true);
    expect(isExportedPath(".config/opencode/opencode.json")).toBe(false);
    expect(isExportedPath(".config/opencode/auth.json")).toBe(false);
    expect(isExportedPath(".config/opencode/serve.log")).toBe(false);
    expect(isExportedPath(".cache/opencode/models.json")).toBe(false);
    expect(isExportedPath(".local/share/opencode/log/2026.log")).toBe(false);
    expect(isExportedPath(".config/opencode/node_modules/x/index.js")).toBe(false);
    expect(isExportedPath(".config/opencode/package-lock.json")).toBe(false);
  });

  it("refuses paths that leave the home, links, devices and entries over the caps", () => {
    const none = { entries: 0, bytes: 0 };
    const limits = { ...DEFAULT_ARCHIVE_LIMITS, maxEntryBytes: 10, maxTotalBytes: 15 };
    const check = (path: string, type = "File", size = 1, seen = none) =>
      entryProblem({ path, type, size }, limits, seen);
    expect(check("home/a.txt")).toBeUndefined();
    expect(check("manifest.json")).toBeUndefined();
    expect(check("home/sub", "Directory", 0)).toBeUndefined();
    expect(check("home/../../etc/passwd")).toMatch(/leaves the home/);
    expect(check("/etc/passwd")).toMatch(/absolute/);
    expect(check("C:/x")).toMatch(/absolute/);
    expect(check("home/l", "SymbolicLink", 0)).toMatch(/SymbolicLink/);
    expect(check("home/l", "Link", 0)).toMatch(/Link/);
    expect(check("home/d", "CharacterDevice", 0)).toMatch(/CharacterDevice/);
    expect(check("elsewhere/a")).toMatch(/under home/);
    expect(check("home", "File")).toMatch(/wrong type/);
    expect(check("home/", "Directory", 0)).toBeUndefined();
    expect(check("manifest.json", "Directory", 0)).toMatch(/wrong type/);
    expect(check("home/big", "File", 11)).toMatch(/over the 10 cap/);
    expect(check("home/a", "File", 6, { entries: 1, bytes: 10 })).toMatch(/15 bytes cap/);
  });

  it("knows its own manifest and SQLite's header", () => {
    const good = { format: ARCHIVE_FORMAT, version: 1, agentId: "a", cwd: "/h/a" };
    expect(manifestProblem(good)).toBeUndefined();
    expect(manifestProblem({ ...good, cwd: "rel" })).toMatch(/cwd/);
    expect(manifestProblem({ format: "zip", version: 1, agentId: "a" })).toMatch(/format/);
    expect(manifestProblem({ format: ARCHIVE_FORMAT, version: 9, agentId: "a" })).toMatch(
      /version/,
    );
    expect(manifestProblem([])).toMatch(/object/);
    expect(isSqliteHeader(SQLITE_HEADER)).toBe(true);
    expect(isSqliteHeader(Buffer.from("SQLite format 2\0xxxx"))).toBe(false);
    expect(isSqliteHeader(Buffer.from("short"))).toBe(false);
  });
});

describe("relocating sessions (pure SQL)", () => {
  it("moves sessions recorded under the old cwd, and only those, quoting paths", () => {
    expect(relocateSql("/srv/a/x", "/srv/b/x")).toBe(
      "UPDATE session SET directory = '/srv/b/x' || substr(directory, 9) WHERE directory = '/srv/a/x' OR substr(directory, 1, 9) = '/srv/a/x/';",
    );
    expect(relocateSql("/it's", "/b")).toContain("'/it''s'");
  });
});
