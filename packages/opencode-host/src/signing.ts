import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** The headers a signed request carries. */
export const SIGNATURE_HEADERS = {
  /** Unix time in milliseconds, as a decimal integer. */
  timestamp: "x-taos-timestamp",
  /** Hex HMAC-SHA256 of `timestamp.METHOD.path-with-query.sha256hex(body)`. */
  signature: "x-taos-signature",
} as const;

/** How far a request's timestamp may be from the host's clock. */
export const SIGNATURE_WINDOW_MS = 60_000;

/** The parts of a request the signature covers. */
export interface SignedParts {
  readonly timestamp: string;
  readonly method: string;
  /** The path with its query string, as sent (`/agents/a1?deleteHome=1`). */
  readonly pathWithQuery: string;
  readonly body: Uint8Array;
}

/** sha256 of `body`, hex. */
export function bodyDigest(body: Uint8Array): string {
  return createHash("sha256").update(body).digest("hex");
}

/** The string that is signed: `timestamp.METHOD.path-with-query.sha256hex(body)`. */
export function canonicalString(parts: SignedParts): string {
  return `${parts.timestamp}.${parts.method.toUpperCase()}.${parts.pathWithQuery}.${bodyDigest(parts.body)}`;
}

/** The hex HMAC-SHA256 of the request's canonical string. */
export function signRequest(secret: string, parts: SignedParts): string {
  return createHmac("sha256", secret).update(canonicalString(parts)).digest("hex");
}

/** Why a signature is refused: the reason a 401 gives (it never says more). */
export type SignatureRejection = "missing" | "malformed" | "expired" | "mismatch";

/**
 * Checks a request's signature and timestamp (within `windowMs` of `nowMs`),
 * comparing in constant time. Pure: replay is the caller's nonce cache.
 */
export function checkSignature(
  secret: string,
  parts: SignedParts,
  signature: string | undefined,
  nowMs: number,
  windowMs: number = SIGNATURE_WINDOW_MS,
): SignatureRejection | undefined {
  if (signature === undefined || parts.timestamp === "") return "missing";
  if (!/^\d{1,16}$/.test(parts.timestamp) || !/^[0-9a-f]{64}$/.test(signature)) return "malformed";
  if (Math.abs(nowMs - Number(parts.timestamp)) > windowMs) return "expired";
  const expected = Buffer.from(signRequest(secret, parts), "hex");
  return timingSafeEqual(expected, Buffer.from(signature, "hex")) ? undefined : "mismatch";
}
