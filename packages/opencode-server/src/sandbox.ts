import { dirname, isAbsolute, relative, sep } from "node:path";

/** How the child is confined: `"bwrap"` (bubblewrap) or `"none"`. */
export type SandboxMode = "bwrap" | "none";

/** What a bubblewrap sandbox is built from; every path absolute. */
export interface BwrapPlan {
  /** The server's home: bound read-write. */
  readonly home: string;
  /** The working directory: bound read-write (when it is not inside `home`), and the child's cwd. */
  readonly cwd: string;
  /** The executable run inside: bound read-only again when a hidden path covers it. */
  readonly binary: string;
  /**
   * Directories covered by an empty tmpfs, on top of `/tmp` (always private):
   * other agents' homes, the host user's home. Only existing directories may
   * be listed (bwrap cannot create a mount point in the read-only root).
   */
  readonly hidden: readonly string[];
}

/** True when `path` is `dir` or lies below it. */
export function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/**
 * The hidden directories that matter: none equal to `/`, `/tmp` or inside it
 * (the tmpfs already covers them), none inside another one; shortest first,
 * so that an outer tmpfs never covers an inner mount made before it.
 */
export function effectiveHidden(hidden: readonly string[]): string[] {
  const kept: string[] = [];
  const sorted = [...new Set(hidden)].sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
  for (const dir of sorted) {
    if (dir === "/" || isInside(dir, "/tmp")) continue;
    if (kept.some((outer) => isInside(dir, outer))) continue;
    kept.push(dir);
  }
  return kept;
}

/**
 * The argv of `bwrap` (without `bwrap` itself) that runs `command` with the
 * system read-only, a private `/tmp`, the hidden directories empty, `home` and
 * `cwd` read-write, in its own PID namespace, with no capabilities (a host
 * running as root keeps all of them inside otherwise, and could unmount the
 * tmpfs), killed when its parent dies. No `--new-session`: the child must stay
 * in the process group the server signals.
 */
export function bwrapArgs(plan: BwrapPlan, command: readonly string[]): string[] {
  const hidden = effectiveHidden(plan.hidden);
  const args = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"];
  for (const dir of hidden) args.push("--tmpfs", dir);
  args.push("--bind", plan.home, plan.home);
  if (!isInside(plan.cwd, plan.home)) args.push("--bind", plan.cwd, plan.cwd);
  const covered = [...hidden, "/tmp"].some((dir) => isInside(plan.binary, dir));
  const writable = [plan.home, plan.cwd].some((dir) => isInside(plan.binary, dir));
  if (covered || writable) args.push("--ro-bind", plan.binary, plan.binary);
  args.push(
    "--die-with-parent",
    "--unshare-pid",
    "--cap-drop",
    "ALL",
    "--chdir",
    plan.cwd,
    "--",
    plan.binary,
    ...command,
  );
  return args;
}

/** The directories a sandboxed server never sees by default: other agents' homes and users' homes. */
export function defaultHidden(home: string, hostHome: string | undefined): string[] {
  const dirs = [dirname(home), "/home", "/root"];
  if (hostHome && isAbsolute(hostHome)) dirs.push(hostHome);
  return dirs;
}
