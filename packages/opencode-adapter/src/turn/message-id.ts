import { randomBytes } from "node:crypto";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
let lastMs = 0;
let counter = 0;

/**
 * A new user message id in opencode's ascending layout (`msg_` + 12 hex digits of
 * time and counter + 14 base62 characters), so that opencode orders it among its own
 * messages by time. A prompt sent with it is found again by that exact id.
 */
export function newMessageId(now: number = Date.now()): string {
  if (now !== lastMs) {
    lastMs = now;
    counter = 0;
  }
  counter++;
  const stamp = (BigInt(now) * 0x1000n + BigInt(counter)) & 0xffffffffffffn;
  const bytes = randomBytes(14);
  let tail = "";
  for (const byte of bytes) tail += BASE62[byte % 62];
  return `msg_${stamp.toString(16).padStart(12, "0")}${tail}`;
}
