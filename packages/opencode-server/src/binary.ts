import { accessSync, constants, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { basename, delimiter, dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { type HostTraits, platformPackageNames, platformTraits } from "./binary-platform.js";
import { OpenCodeBinaryNotFoundError, type SkippedOpenCodeBinary } from "./errors.js";
import {
  assertVersionRange,
  isSupportedOpenCodeVersion,
  readBinaryVersion,
  readBinaryVersionSync,
} from "./version.js";

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
  /** Whether the target's C library is musl. @default probed when `platform` is this host's, else false */
  readonly musl?: boolean;
  /** Whether the target x64 CPU has AVX2. @default probed when `platform`/`arch` are this host's, else true */
  readonly avx2?: boolean;
  /**
   * Only accept a found binary whose version lies in this semver range (e.g.
   * `SUPPORTED_OPENCODE_RANGE`): each one found on `PATH`, in
   * `~/.opencode/bin` or in npm packages is asked (`--version`, or its npm
   * package's version) and skipped when outside it, so a 2.x first on `PATH`
   * does not hide a 1.x installed from npm. The skipped ones are listed in
   * the not-found error. An explicit `binary` or `OPENCODE_BIN` is returned
   * as it is: the caller checks its version (and may allow it).
   */
  readonly versionRange?: string;
}

export interface FindOpenCodeBinaryOptions extends ResolveOpenCodeBinaryOptions {
  /** Stops the search (each `--version` run); it rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** A binary `findOpenCodeBinary` chose, with the version it read (only with `versionRange`). */
export interface FoundOpenCodeBinary {
  readonly binary: string;
  readonly version: string | undefined;
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

/** A binary found by the search; `packageVersion` when it came from an npm package. */
interface Candidate {
  readonly path: string;
  readonly packageVersion?: string;
}

function packageVersion(packageJson: string): string | undefined {
  try {
    const { version } = JSON.parse(readFileSync(packageJson, "utf8")) as { version?: unknown };
    return typeof version === "string" ? version : undefined;
  } catch {
    return undefined;
  }
}

function* fromPackages(
  roots: readonly string[],
  names: readonly string[],
  platform: NodeJS.Platform,
): Generator<Candidate> {
  const seen = new Set<string>();
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
        let manifest: string;
        try {
          manifest = req.resolve(`${name}/package.json`);
        } catch {
          continue; // not installed
        }
        const path = join(dirname(manifest), "bin", exe(platform));
        if (seen.has(path) || !isExecutableFile(path)) continue;
        seen.add(path);
        const version = packageVersion(manifest);
        yield version === undefined ? { path } : { path, packageVersion: version };
      }
    }
  }
}

/** The explicit choice (`binary`, then `OPENCODE_BIN`), or undefined when neither is set. */
function explicitChoice(options: ResolveOpenCodeBinaryOptions): string | undefined {
  const given: [string, string | undefined][] = [
    ["option `binary`", options.binary],
    ["OPENCODE_BIN", (options.env ?? process.env).OPENCODE_BIN || undefined],
  ];
  for (const [what, value] of given) {
    if (value === undefined) continue;
    const path = resolve(value);
    if (isExecutableFile(path)) return path;
    throw new OpenCodeBinaryNotFoundError({
      searched: [`${what}: ${path} (missing or not executable)`],
    });
  }
  return undefined;
}

/** Every binary the search finds, in order; notes each place that held none in `searched`. */
function* searchCandidates(
  options: ResolveOpenCodeBinaryOptions,
  searched: string[],
): Generator<Candidate> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  const name = exe(platform);
  searched.push("OPENCODE_BIN (not set)");

  const pathDirs = (env.PATH ?? "").split(delimiter).filter((dir) => dir !== "");
  for (const dir of pathDirs) {
    if (basename(dir) === ".bin" && dir.split(sep).includes("node_modules")) continue;
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) yield { path: candidate };
  }
  searched.push(`PATH (${pathDirs.length} directories, node_modules/.bin skipped)`);

  const installed = join(options.homeDir ?? homedir(), ".opencode", "bin", name);
  if (isExecutableFile(installed)) yield { path: installed };
  searched.push(installed);

  const roots = options.packageRoots ?? [dirname(fileURLToPath(import.meta.url)), process.cwd()];
  const given: Partial<HostTraits> = {
    ...(options.musl === undefined ? {} : { musl: options.musl }),
    ...(options.avx2 === undefined ? {} : { avx2: options.avx2 }),
  };
  const names = platformPackageNames(platform, arch, platformTraits(platform, arch, given));
  yield* fromPackages(roots, names, platform);
  searched.push(`npm packages opencode-ai / ${names.join(", ")} resolved from ${roots.join(", ")}`);
}

function rangeOf(options: ResolveOpenCodeBinaryOptions): string | undefined {
  if (options.versionRange !== undefined) assertVersionRange(options.versionRange);
  return options.versionRange;
}

function notFound(
  searched: readonly string[],
  skipped: readonly SkippedOpenCodeBinary[],
  versionRange: string | undefined,
): OpenCodeBinaryNotFoundError {
  return new OpenCodeBinaryNotFoundError({
    searched,
    skipped,
    ...(versionRange === undefined ? {} : { versionRange }),
  });
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
 *
 * With `versionRange`, binaries found outside the range are skipped. Asking a
 * binary its version runs it (a few seconds for opencode), and this function
 * blocks meanwhile: a server should use `findOpenCodeBinary` instead.
 */
export function resolveOpenCodeBinary(options: ResolveOpenCodeBinaryOptions = {}): string {
  const range = rangeOf(options);
  const explicit = explicitChoice(options);
  if (explicit !== undefined) return explicit;
  const searched: string[] = [];
  const skipped: SkippedOpenCodeBinary[] = [];
  for (const candidate of searchCandidates(options, searched)) {
    if (range === undefined) return candidate.path;
    const version = candidate.packageVersion ?? readBinaryVersionSync(candidate.path);
    if (version !== undefined && isSupportedOpenCodeVersion(version, range)) return candidate.path;
    skipped.push({ binary: candidate.path, version });
  }
  throw notFound(searched, skipped, range);
}

/**
 * `resolveOpenCodeBinary` without blocking: the same search, each `--version`
 * run asynchronously and stopped by `signal`. Returns the binary and, when a
 * `versionRange` was checked, the version it reported.
 */
export async function findOpenCodeBinary(
  options: FindOpenCodeBinaryOptions = {},
): Promise<FoundOpenCodeBinary> {
  const range = rangeOf(options);
  options.signal?.throwIfAborted();
  const explicit = explicitChoice(options);
  if (explicit !== undefined) return { binary: explicit, version: undefined };
  const searched: string[] = [];
  const skipped: SkippedOpenCodeBinary[] = [];
  for (const candidate of searchCandidates(options, searched)) {
    if (range === undefined) return { binary: candidate.path, version: undefined };
    const version =
      candidate.packageVersion ?? (await readBinaryVersion(candidate.path, options.signal));
    if (version !== undefined && isSupportedOpenCodeVersion(version, range)) {
      return { binary: candidate.path, version };
    }
    skipped.push({ binary: candidate.path, version });
  }
  throw notFound(searched, skipped, range);
}
