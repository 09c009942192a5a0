import { fail } from "./errors.js";

/** A file sent with a prompt. */
export interface Attachment {
  /** e.g. `image/png`, `text/plain`, `application/pdf`. */
  readonly mimeType: string;
  /** The bytes, or them in base64. */
  readonly data: string | Uint8Array;
  readonly filename?: string;
}

/** opencode's file part: the data travels as a `data:` URL. */
export interface FilePartInput {
  readonly type: "file";
  readonly mime: string;
  readonly url: string;
  readonly filename?: string;
}

const MIME = /^[A-Za-z0-9][\w.+-]*\/[A-Za-z0-9][\w.+-]*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const WHITESPACE = /\s+/g;

/** Checks attachments and turns them into opencode file parts (not `{media_type, data}`, which opencode refuses). */
export function toFileParts(attachments: unknown): FilePartInput[] {
  if (attachments === undefined) return [];
  if (!Array.isArray(attachments)) fail("attachments", "must be an array");
  return attachments.map((item: unknown, index) => {
    const field = `attachments[${index}]`;
    if (item === null || typeof item !== "object") fail(field, "must be an object");
    const { mimeType, data, filename } = item as Record<string, unknown>;
    if (typeof mimeType !== "string" || !MIME.test(mimeType)) {
      fail(`${field}.mimeType`, "must be a MIME type like image/png");
    }
    let base64: string;
    if (data instanceof Uint8Array) {
      base64 = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
    } else if (typeof data === "string") {
      base64 = data.replace(WHITESPACE, "");
      if (base64.length % 4 !== 0 || !BASE64.test(base64)) {
        fail(`${field}.data`, "must be base64 (or a Uint8Array of the bytes)");
      }
    } else {
      fail(`${field}.data`, "must be a base64 string or a Uint8Array");
    }
    if (base64 === "") fail(`${field}.data`, "must not be empty");
    const part: { type: "file"; mime: string; url: string; filename?: string } = {
      type: "file",
      mime: mimeType,
      url: `data:${mimeType};base64,${base64}`,
    };
    if (filename !== undefined) {
      if (typeof filename !== "string" || filename === "") {
        fail(`${field}.filename`, "must be a non-empty string");
      }
      part.filename = filename;
    }
    return part;
  });
}
