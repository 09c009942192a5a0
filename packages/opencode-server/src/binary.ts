import { accessSync, constants, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { basename, delimiter, dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { OpenCodeBinaryNotFoundError } from "./errors.js";

export interface ResolveOpenCodeBinaryOptions {
  /** An explicit path; when given it must exist, nothing else is tried. */
  readonly binary?: string;
  /** Where `OPENCODE_BIN` and `PATH` are read. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The home holding `.opencode/bin/opencode` (the official installer's place). @default os.homedir() */
  readonly homeDir?: string;
  /**
   * Directories (or files) to resolve the `opencode-ai` npm package from.
   * @default [this package, process.cwd()]
   */
  readonly packageRoots?: readonly string[];
  /** @default process.platform */
  readonly platform?: NodeJS.Platform;
  /** @default process.arch */
  readonly arch?: string;
}

const exe = (platform: NodeJS.Platform): string =>
  platform === "win32" ? "opencode.exe" : "opencode";

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

let muslCache: boolean | undefined;
function isMusl(platform: NodeJS.Platform): boolean {
  if (platform !== "linux") return false;
  if (muslCache === undefined) {
    // ldd names its libc; reading it is much cheaper than process.report (about 7 ms).
    let ldd = "";
    try {
      ldd = readFileSync("/usr/bin/ldd", "latin1");
    } catch {
      // no ldd: ask the runtime
    }
    if (ldd.includes("musl")) muslCache = true;
    else if (ldd.includes("GNU C Library") || ldd.includes("glibc")) muslCache = false;
    else {
      const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } };
      muslCache = report?.header?.glibcVersionRuntime === undefined;
    }
  }
  return muslCache;
}

let avx2Cache: boolean | undefined;
// The non-baseline x64 builds need AVX2; without it they die on an illegal instruction.
function hasAvx2(platform: NodeJS.Platform, arch: string): boolean {
  if (platform !== "linux" || arch !== "x64") return true;
  if (avx2Cache === undefined) {
    try {
      avx2Cache = /\bavx2\b/.test(readFileSync("/proc/cpuinfo", "utf8"));
    } catch {
      avx2Cache = true;
    }
  }
  return avx2Cache;
}

/** The platform package names to try, best first (what `opencode-ai`'s own launcher picks). */
export function platformPackageNames(platform: NodeJS.Platform, arch: string): string[] {
  const os = platform === "win32" ? "windows" : platform;
  const cpu = arch === "arm64" ? "arm64" : "x64";
  const base = `opencode-${os}-${cpu}`;
  const variants =
    cpu === "x64" && !hasAvx2(platform, arch)
      ? [`${base}-baseline`, base]
      : [base, `${base}-baseline`];
  if (!isMusl(platform)) return variants;
  return [...variants.map((name) => `${name}-musl`), ...variants];
}

function fromPackages(
  roots: readonly string[],
  names: readonly string[],
  platform: NodeJS.Platform,
): string | undefined {
  for (const root of roots) {
    // createRequire wants a file path; any name inside the directory will do.
    const fromRoot = createRequire(join(root, "noop.js"));
    const requires = [fromRoot];
    try {
      // The platform packages are opencode-ai's optional dependencies: resolve them from it.
      requires.unshift(createRequire(fromRoot.resolve("opencode-ai/package.json")));
    } catch {
      // no opencode-ai here; a platform package may still be installed directly
    }
    for (const req of requires) {
      for (const name of names) {
        try {
          const candidate = join(
            dirname(req.resolve(`${name}/package.json`)),
            "bin",
            exe(platform),
          );
          if (isExecutableFile(candidate)) return candidate;
        } catch {
          // not installed
        }
      }
    }
  }
  return undefined;
}

/**
 * Finds the `opencode` executable, in this order: the explicit `binary`,
 * `OPENCODE_BIN`, `PATH`, `~/.opencode/bin/opencode` (the official installer;
 * a service's PATH rarely has it), then the platform package of the
 * `opencode-ai` npm package (`opencode-<os>-<arch>`, `-baseline`, `-musl`),
 * resolved from this package and from the working directory.
 *
 * `PATH` entries inside `node_modules/.bin` are skipped: there `opencode` is
 * the `opencode-ai` launcher, which only works when that package's postinstall
 * ran (pnpm does not run it by default); the last step finds the same binary
 * without it.
 */
export function resolveOpenCodeBinary(options: ResolveOpenCodeBinaryOptions = {}): string {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  const name = exe(platform);
  const searched: string[] = [];

  if (options.binary !== undefined) {
    const path = resolve(options.binary);
    if (isExecutableFile(path)) return path;
    throw new OpenCodeBinaryNotFoundError({
      searched: [`option \`binary\`: ${path} (missing or not executable)`],
    });
  }

  const fromEnv = env.OPENCODE_BIN;
  if (fromEnv) {
    const path = resolve(fromEnv);
    if (isExecutableFile(path)) return path;
    throw new OpenCodeBinaryNotFoundError({
      searched: [`OPENCODE_BIN: ${path} (missing or not executable)`],
    });
  }
  searched.push("OPENCODE_BIN (not set)");

  const pathDirs = (env.PATH ?? "").split(delimiter).filter((dir) => dir !== "");
  for (const dir of pathDirs) {
    if (basename(dir) === ".bin" && dir.split(sep).includes("node_modules")) continue;
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  searched.push(`PATH (${pathDirs.length} directories, node_modules/.bin skipped)`);

  const installed = join(options.homeDir ?? homedir(), ".opencode", "bin", name);
  if (isExecutableFile(installed)) return installed;
  searched.push(installed);

  const roots = options.packageRoots ?? [dirname(fileURLToPath(import.meta.url)), process.cwd()];
  const names = platformPackageNames(platform, arch);
  const fromNpm = fromPackages(roots, names, platform);
  if (fromNpm) return fromNpm;
  searched.push(`npm packages opencode-ai / ${names.join(", ")} resolved from ${roots.join(", ")}`);

  throw new OpenCodeBinaryNotFoundError({ searched });
}
