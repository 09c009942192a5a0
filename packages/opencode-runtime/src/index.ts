// The public API of the four packages, so that one dependency is enough; plus the runtime.
// Re-exported whole: whatever a lower package adds reaches the runtime's users unedited.

// Every package declares the same logger shape; one name for it.
export type { OpenCodeLogger } from "@taos/opencode-adapter";
export * from "@taos/opencode-adapter";
export * from "@taos/opencode-config";
export * from "@taos/opencode-server";
export * from "@taos/opencode-turn";
export type {
  OpenCodeRuntimeOptions,
  RuntimeTurnDefaults,
  RuntimeTurnOptions,
  ServerProvidedTurnOption,
} from "./runtime.js";
export { OpenCodeRuntime } from "./runtime.js";
