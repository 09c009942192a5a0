import { readdirSync, readFileSync } from "node:fs";

export interface ProcessInfo {
  readonly pid: number;
  /** argv joined with spaces. */
  readonly args: string;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "latin1");
  } catch {
    return undefined; // gone, or not ours to read
  }
}

function pids(): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/**
 * Every live process whose environment mentions `home`: the `opencode serve` started
 * for that home and whatever it spawned (children inherit its HOME and XDG paths).
 * Zombies are skipped: they hold no resources and wait only for their parent.
 */
export function processesOfHome(home: string): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const pid of pids()) {
    if (pid === process.pid) continue;
    const stat = read(`/proc/${pid}/stat`);
    if (stat === undefined) continue;
    // state is the field after "(comm)"; comm may hold spaces or parentheses
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    if (state === "Z" || state === "X") continue;
    const environ = read(`/proc/${pid}/environ`);
    if (environ === undefined || !environ.includes(home)) continue;
    const cmdline = read(`/proc/${pid}/cmdline`) ?? "";
    found.push({ pid, args: cmdline.split("\0").filter(Boolean).join(" ") });
  }
  return found;
}

/** The argv of every process this user can see, as `ps -eo args` shows them. */
export function allProcessArgs(): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const pid of pids()) {
    const cmdline = read(`/proc/${pid}/cmdline`);
    if (cmdline === undefined) continue;
    found.push({ pid, args: cmdline.split("\0").filter(Boolean).join(" ") });
  }
  return found;
}
