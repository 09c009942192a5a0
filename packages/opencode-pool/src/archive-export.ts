import { cp, lstat, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { Readable } from "node:stream";
import { create } from "tar";
import {
  ARCHIVE_FORMAT,
  ARCHIVE_VERSION,
  type ArchiveManifest,
  HOME_PREFIX,
  isExportedPath,
  MANIFEST_ENTRY,
} from "./archive-rules.js";

/** What the manifest says beyond what the copy counts. */
export interface ManifestBase {
  readonly agentId: string;
  readonly opencodeVersion: string | null;
  readonly cwd: string;
  readonly settings: Readonly<Record<string, unknown>>;
}

/** A copy of the home's exported files in a private temporary folder, with its manifest. */
export interface StagedHome {
  readonly dir: string;
  readonly manifest: ArchiveManifest;
}

/** Copies the (stopped) home's exported files, no links or devices, and writes the manifest. */
export async function stageHome(home: string, base: ManifestBase): Promise<StagedHome> {
  const dir = await mkdtemp(join(tmpdir(), "taos-agent-export-"));
  try {
    const target = join(dir, HOME_PREFIX);
    await cp(home, target, {
      recursive: true,
      filter: async (source) => {
        const path = relative(home, source).split(sep).join("/");
        if (path !== "" && !isExportedPath(path)) return false;
        const stat = await lstat(source);
        return stat.isFile() || stat.isDirectory();
      },
    });
    const { files, bytes } = await countFiles(target);
    const manifest: ArchiveManifest = {
      format: ARCHIVE_FORMAT,
      version: ARCHIVE_VERSION,
      ...base,
      exportedAt: new Date().toISOString(),
      files,
      bytes,
    };
    await writeFile(join(dir, MANIFEST_ENTRY), JSON.stringify(manifest, null, 2), { mode: 0o600 });
    return { dir, manifest };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function countFiles(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    files += 1;
    bytes += (await lstat(join(entry.parentPath, entry.name))).size;
  }
  return { files, bytes };
}

/** The staged copy as a gzip tar (manifest first), removed once the stream ends or is destroyed. */
export function packStaged(staged: StagedHome): Readable {
  const pack = create({ gzip: true, cwd: staged.dir, portable: true }, [MANIFEST_ENTRY, "home"]);
  const stream = Readable.from(pack as AsyncIterable<Buffer>);
  stream.once("close", () => void rm(staged.dir, { recursive: true, force: true }));
  return stream;
}
