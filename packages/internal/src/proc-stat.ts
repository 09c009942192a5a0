/** The fields of `/proc/<pid>/stat` (Linux) that the packages read. */
export interface ProcStat {
  readonly pid: number;
  /** The command name, without its parentheses. */
  readonly comm: string;
  /** One letter: `R`, `S`, `D`, `Z` (zombie), `X` (dead), ... */
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
}

/**
 * One `/proc/<pid>/stat` line read: `pid (comm) state ppid pgrp ...`. The command
 * name may hold spaces and parentheses, so the fields after it start at its last `)`.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return undefined;
  const [state, ppid, pgrp] = text.slice(close + 2).split(" ");
  const pid = Number(text.slice(0, open).trim());
  if (state === undefined || !Number.isInteger(pid) || ppid === undefined || pgrp === undefined) {
    return undefined;
  }
  return { pid, comm: text.slice(open + 1, close), state, ppid: Number(ppid), pgrp: Number(pgrp) };
}
