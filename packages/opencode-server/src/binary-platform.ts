import { readFileSync } from "node:fs";

/** What the host's CPU and C library allow; decides which platform package can run. */
export interface HostTraits {
  /** The C library is musl (Alpine) rather than glibc. */
  readonly musl: boolean;
  /** The CPU has AVX2, which the non-baseline x64 builds need (else: illegal instruction). */
  readonly avx2: boolean;
}

let hostMusl: boolean | undefined;
function probeHostMusl(): boolean {
  if (hostMusl !== undefined) return hostMusl;
  // ldd names its libc; reading it is much cheaper than process.report (about 7 ms).
  let ldd = "";
  try {
    ldd = readFileSync("/usr/bin/ldd", "latin1");
  } catch {
    // no ldd: ask the runtime
  }
  if (ldd.includes("musl")) hostMusl = true;
  else if (ldd.includes("GNU C Library") || ldd.includes("glibc")) hostMusl = false;
  else {
    const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } };
    hostMusl = report?.header?.glibcVersionRuntime === undefined;
  }
  return hostMusl;
}

let hostAvx2: boolean | undefined;
function probeHostAvx2(): boolean {
  if (hostAvx2 !== undefined) return hostAvx2;
  try {
    hostAvx2 = /\bavx2\b/.test(readFileSync("/proc/cpuinfo", "utf8"));
  } catch {
    hostAvx2 = true;
  }
  return hostAvx2;
}

/**
 * The traits of the platform a binary is looked up for. Only when that is this
 * very host (Linux, and the same architecture for AVX2) is the host probed (once:
 * the answer cannot change while the process runs); for any other platform the
 * common case is assumed (glibc, AVX2), and `given` overrides either answer.
 */
export function platformTraits(
  platform: NodeJS.Platform,
  arch: string,
  given: Partial<HostTraits> = {},
): HostTraits {
  const isHostLinux = platform === "linux" && process.platform === "linux";
  const musl = given.musl ?? (isHostLinux ? probeHostMusl() : false);
  const avx2 =
    given.avx2 ??
    (isHostLinux && arch === "x64" && process.arch === "x64" ? probeHostAvx2() : true);
  return { musl: platform === "linux" && musl, avx2 };
}

/**
 * The platform package names to try, best first (what `opencode-ai`'s own
 * launcher picks): `opencode-<os>-<cpu>`, its `-baseline` build first when an
 * x64 CPU lacks AVX2, and the `-musl` builds first on a musl Linux. Pure: the
 * host's traits come from `platformTraits` unless given.
 */
export function platformPackageNames(
  platform: NodeJS.Platform,
  arch: string,
  traits: HostTraits = platformTraits(platform, arch),
): string[] {
  const os = platform === "win32" ? "windows" : platform;
  const cpu = arch === "arm64" ? "arm64" : "x64";
  const base = `opencode-${os}-${cpu}`;
  const variants =
    cpu === "x64" && !traits.avx2 ? [`${base}-baseline`, base] : [base, `${base}-baseline`];
  if (!(platform === "linux" && traits.musl)) return variants;
  return [...variants.map((name) => `${name}-musl`), ...variants];
}
