export { HostInputError, HostRequestError } from "./errors.js";
export type { HostHandler } from "./handler.js";
export { createHostHandler } from "./handler.js";
export type { HostHandlerOptions } from "./options.js";
export type { RemotePoolOptions } from "./remote-pool.js";
export { RemotePool } from "./remote-pool.js";
export type { SignatureRejection, SignedParts } from "./signing.js";
export {
  bodyDigest,
  canonicalString,
  checkSignature,
  SIGNATURE_HEADERS,
  SIGNATURE_WINDOW_MS,
  signRequest,
} from "./signing.js";
