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
    let stat: ProcStat | undefined;
    try {
      stat = parseProcStat(readFileSync(`/proc/${entry}/stat`, "utf8"));
    } catch {
      continue;
    }
    if (stat === undefined || stat.state === "Z" || stat.pgrp !== pgid) continue;
    members.push({ pid: stat.pid, comm: stat.comm });
  }
  return members;
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
 * Resolves once no live process is left in the group, or after `ms`: a SIGKILL is
 * delivered at once, but a process is gone only when the kernel has ended it (on a busy
 * machine, a little later). Where there is no /proc, at once. Each look is a `kill(0)`
 * first and a /proc scan only when that finds the group (zombies count there, not
 * here); the looks back off from 5 to 80 ms, since a pool stops a server per eviction.
 */
export async function groupGone(pgid: number, ms: number): Promise<void> {
  const end = performance.now() + ms;
  for (let pause = 5; ; pause = Math.min(pause * 2, 80)) {
    let left: number;
    try {
      left = groupExists(pgid) ? groupMembers(pgid).length : 0;
    } catch {
      return;
    }
    if (left === 0 || performance.now() >= end) return;
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
