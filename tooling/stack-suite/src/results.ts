import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Where runs leave their figures (gitignored). */
export const RESULTS_DIR: string = join(import.meta.dirname, "..", ".results");

/** Writes `<package>/.results/<name>.json` with the figures of a run, plus where and when. */
export function writeResult(name: string, figures: Readonly<Record<string, unknown>>): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${name}.json`);
  const record = { name, node: process.version, date: new Date().toISOString(), ...figures };
  writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`);
  return path;
}
