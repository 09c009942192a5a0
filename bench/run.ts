/**
 * Runs every `bench/*.bench.ts` one after the other (never side by side: they
 * measure time and CPU) and writes their Markdown sections to BENCHMARKS.md,
 * under a header naming the machine, the command and the date.
 *
 *   pnpm bench                 # all of them
 *   pnpm bench -- codec        # those whose file name contains "codec"
 *
 * Sizes come from the environment where a bench has them, e.g. pool.bench.ts:
 * POOL_AGENTS (24), POOL_SERVERS (6), POOL_TURNS (200), POOL_CONCURRENCY (4);
 * its full size keeps 24 servers running at once (about 12 GiB) for the comparison.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
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
const header = [
  "# Benchmarks",
  "",
  `- Date: ${new Date().toISOString().slice(0, 10)}`,
  `- Machine: ${cpus().length} x ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${process.platform}-${process.arch}, Node ${process.version}`,
  `- Command: \`pnpm bench${filter.length ? ` -- ${filter.join(" ")}` : ""}\``,
  "",
  "Ratios compare runs made side by side in the same process run, alternating, so",
  "machine load affects both sides alike. Absolute times are for this machine only.",
  "",
].join("\n");

const body = `${header}\n${sections.join("\n\n")}\n`;
if (filter.length === 0) writeFileSync(join(here, "..", "BENCHMARKS.md"), body);
process.stdout.write(body);
