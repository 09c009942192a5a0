/**
 * The default start deadline. opencode's first start in a fresh home creates and migrates
 * its SQLite database: seconds on a PC, up to about 3 minutes on a small ARM board. A
 * start whose home has no database yet gets the long deadline; later starts the short one.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

/** The default deadline of a start in a home that has opencode's database. */
export const START_DEADLINE_MS = 20_000;
/** The default deadline of the first start in a home (no database yet). */
export const FIRST_START_DEADLINE_MS = 180_000;

/** Where opencode keeps its database under a server's home (the server sets XDG_DATA_HOME). */
export function opencodeDatabasePath(home: string): string {
  return join(home, ".local", "share", "opencode", "opencode.db");
}

/** The default start deadline, by whether the home has a database yet. Pure. */
export function defaultStartDeadlineMs(hasDatabase: boolean): number {
  return hasDatabase ? START_DEADLINE_MS : FIRST_START_DEADLINE_MS;
}

/** The default start deadline for this home, looked up now. */
export function startDeadlineFor(home: string): number {
  return defaultStartDeadlineMs(existsSync(opencodeDatabasePath(home)));
}
