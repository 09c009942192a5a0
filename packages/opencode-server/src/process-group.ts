import { readdirSync, readFileSync } from "node:fs";
import { type ProcStat, parseProcStat } from "@taos/internal";

/** A signal to every process of a group; a group already gone is fine. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone
  }
}

/** The live members of a process group with their command names, from /proc (Linux). */
export function groupMembers(pgid: number): { readonly pid: number; readonly comm: string }[] {
  const members: { pid: number; comm: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = liveMember(Number(entry), pgid);
    if (stat !== undefined) members.push({ pid: stat.pid, comm: stat.comm });
  }
  return members;
}

/** `pid`'s stat when it is a live (not zombie) member of the group, else undefined. */
function liveMember(pid: number, pgid: number): ProcStat | undefined {
  let stat: ProcStat | undefined;
  try {
    stat = parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
  return stat === undefined || stat.state === "Z" || stat.pgrp !== pgid ? undefined : stat;
}

/** Whether any process, zombies included, is left in the group: one syscall, no /proc scan. */
function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    // EPERM: a member we may not signal is still a member.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Resolves once no live process is left in a group that was sent SIGKILL, or after
 * `ms`: a SIGKILL is delivered at once, but a process is gone only when the kernel has
 * ended it (on a busy machine, a little later). Where there is no /proc, at once. Each
 * look is a `kill(0)` first (zombies count there, not here); the first look that finds
 * the group scans /proc for its members, and the later ones read only those: a killed
 * group gains no member, and a pool stops a server per eviction, so a full scan per
 * look (about a hundred files) was most of a stop's CPU. The looks back off from 5 to
 * 80 ms. `scan` is for tests.
 */
export async function groupGone(
  pgid: number,
  ms: number,
  scan: (pgid: number) => readonly { readonly pid: number }[] = groupMembers,
): Promise<void> {
  const end = performance.now() + ms;
  let members: number[] | undefined;
  for (let pause = 5; ; pause = Math.min(pause * 2, 80)) {
    try {
      if (!groupExists(pgid)) return;
      members = members
        ? members.filter((pid) => liveMember(pid, pgid) !== undefined)
        : scan(pgid).map((member) => member.pid);
    } catch {
      return;
    }
    if (members.length === 0 || performance.now() >= end) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, end - performance.now())));
  }
}

/**
 * A signal to every member of a group except the processes named `spare`.
 * For a sandboxed child: bwrap dies of SIGTERM at once and, with
 * `--die-with-parent`, SIGKILLs what it runs, so opencode would get no grace;
 * spared, bwrap exits after opencode, with its status.
 */
export function signalGroupExcept(pgid: number, signal: NodeJS.Signals, spare: string): void {
  for (const { pid, comm } of groupMembers(pgid)) {
    if (comm === spare) continue;
    try {
      process.kill(pid, signal);
    } catch {
      // gone meanwhile
    }
  }
}
