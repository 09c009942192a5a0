import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type CliTurnOptions, CliUsageError } from "../src/cli-command-types.js";
import { mimeTypeOf, readRunInputs } from "../src/cli-inputs.js";

const dir = mkdtempSync(join(tmpdir(), "taos-cli-inputs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function turn(files: string[], schemaFile?: string): CliTurnOptions {
  return {
    sessionId: undefined,
    agent: undefined,
    system: undefined,
    variant: undefined,
    files,
    schemaFile,
  };
}

async function usageError(options: CliTurnOptions): Promise<CliUsageError> {
  try {
    await readRunInputs(options);
  } catch (error) {
    if (CliUsageError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("no usage error");
}

describe("readRunInputs", () => {
  it("reads attachments in order, with their names and MIME types, and the schema", async () => {
    const notes = write("notes.md", "# Notes");
    const data = write("data.json", '{"a":1}');
    const schema = write("schema.json", '{"type":"object","required":["a"]}');
    const inputs = await readRunInputs(turn([notes, data], schema));
    expect(inputs.attachments.map(({ filename, mimeType }) => ({ filename, mimeType }))).toEqual([
      { filename: "notes.md", mimeType: "text/markdown" },
      { filename: "data.json", mimeType: "application/json" },
    ]);
    expect(Buffer.from(inputs.attachments[0]?.data ?? "").toString()).toBe("# Notes");
    expect(inputs.schema).toEqual({ type: "object", required: ["a"] });
  });

  it("reads nothing when no file is given", async () => {
    expect(await readRunInputs(turn([]))).toEqual({ attachments: [], schema: undefined });
  });

  it.each([
    [
      "a missing file",
      () => join(dir, "missing.txt"),
      /--file: cannot read .*missing\.txt: no such file/,
    ],
    ["a directory", () => dir, /--file: cannot read .*: a directory, not a file/],
    ["an empty file", () => write("empty.txt", ""), /--file: the file is empty: .*empty\.txt/],
  ])("rejects %s, naming it", async (_, path, pattern) => {
    const error = await usageError(turn([write("ok.txt", "ok"), path()]));
    expect(error.flag).toBe("--file");
    expect(error.message).toMatch(pattern);
  });

  it.each([
    ["not JSON", "{type:", /--schema: not JSON: /],
    ["an array", "[1]", /--schema: not a JSON Schema object: /],
  ])("rejects a schema that is %s", async (_, content, pattern) => {
    const error = await usageError(turn([], write("bad-schema.json", content)));
    expect(error.flag).toBe("--schema");
    expect(error.message).toMatch(pattern);
  });

  it("sends known extensions with their type and anything else as text", () => {
    expect(mimeTypeOf("/x/photo.PNG")).toBe("image/png");
    expect(mimeTypeOf("/x/report.pdf")).toBe("application/pdf");
    expect(mimeTypeOf("/x/main.ts")).toBe("text/plain");
  });
});
