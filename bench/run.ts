/**
 * Runs every `bench/*.bench.ts` one after the other (never side by side: they
 * measure time and CPU) and writes their Markdown sections to BENCHMARKS.md,
 * under a header naming the machine, the command and the date.
 *
 *   pnpm bench                 # all of them
 *   pnpm bench -- codec        # those whose file name contains "codec": their sections of
 *                              # BENCHMARKS.md are replaced, each stamped with its own run
 *
 * Sizes come from the environment where a bench has them, e.g. pool.bench.ts:
 * POOL_AGENTS (24), POOL_SERVERS (6), POOL_TURNS (200), POOL_CONCURRENCY (4);
 * its full size keeps 24 servers running at once (about 12 GiB) for the comparison.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv.slice(2).filter((arg) => arg !== "--");
const files = readdirSync(here)
  .filter((name) => name.endsWith(".bench.ts"))
  .filter((name) => filter.length === 0 || filter.some((word) => name.includes(word)))
  .sort();

const sections: string[] = [];
for (const file of files) {
  process.stderr.write(`bench: ${file}\n`);
  const out = execFileSync(process.execPath, ["--import", "tsx", join(here, file)], {
    cwd: join(here, ".."),
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 64 * 1024 * 1024,
  });
  sections.push(out.trim());
}

const cpu = cpus()[0]?.model ?? "unknown CPU";
const date = new Date().toISOString().slice(0, 10);
const machine = `${cpus().length} x ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${process.platform}-${process.arch}, Node ${process.version}`;
const command = `pnpm bench${filter.length ? ` -- ${filter.join(" ")}` : ""}`;
const header = [
  "# Benchmarks",
  "",
  `- Date: ${date}`,
  `- Machine: ${machine}`,
  `- Command: \`${command}\``,
  "",
  "Ratios compare runs made side by side in the same process run, alternating, so",
  "machine load affects both sides alike. Absolute times are for this machine only.",
  "Sections re-run on their own say so under their heading.",
  "",
].join("\n");

const target = join(here, "..", "BENCHMARKS.md");

/** `## ` sections of a Markdown text, keyed by their heading line. */
function splitSections(text: string): { head: string; sections: Map<string, string> } {
  const parts = text.split(/^(?=## )/m);
  const sections = new Map<string, string>();
  for (const part of parts.slice(1)) sections.set(part.split("\n", 1)[0] ?? "", part.trim());
  return { head: parts[0] ?? "", sections };
}

/** A section re-run alone, stamped so a reader knows it is newer than the file's header. */
function stamped(section: string): string {
  const [heading, ...rest] = section.split("\n");
  return [heading, "", `_Re-run alone: ${date}, ${machine}, \`${command}\`._`, ...rest].join("\n");
}

let body: string;
if (filter.length === 0 || !existsSync(target)) {
  body = `${header}\n${sections.join("\n\n")}\n`;
} else {
  const current = splitSections(readFileSync(target, "utf8"));
  for (const section of sections) {
    for (const [heading, text] of splitSections(`\n${section}`).sections) {
      current.sections.set(heading, stamped(text));
    }
  }
  body = `${current.head.trimEnd()}\n\n${[...current.sections.values()].join("\n\n")}\n`;
}
writeFileSync(target, body);
// Formatted here, not as a later step of the npm script: `pnpm bench -- codec` hands its
// arguments to the script's last command, and they are this file's filter.
execFileSync(join(here, "..", "node_modules", ".bin", "biome"), ["format", "--write", target], {
  stdio: ["ignore", "ignore", "inherit"],
});
process.stdout.write(`${sections.join("\n\n")}\n`);
