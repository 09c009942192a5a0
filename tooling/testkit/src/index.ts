export { opencodeBinaryPath } from "./binary.js";
export type { BusyCores } from "./busy-cores.js";
export { busyCores } from "./busy-cores.js";
export type {
  OpenCodeInTempHome,
  StartOpenCodeInTempHomeOptions,
} from "./opencode-in-temp-home.js";
export { startOpenCodeInTempHome } from "./opencode-in-temp-home.js";
export { readOpenCodeLog, waitForOpenCodeLog } from "./opencode-log.js";
export { eventually, until } from "./poll.js";
export { getFreePort } from "./port.js";
export { isProcessAlive, waitForProcessExit } from "./process.js";
export type { RawOpenCode, StartRawOpenCodeOptions } from "./raw-opencode.js";
export { isolatedOpenCodeEnv, startRawOpenCode } from "./raw-opencode.js";
export { filesMissingFromReadme } from "./readme-map.js";
export { scaled, testSlowdown } from "./slowdown.js";
export type { TempHome } from "./temp-home.js";
export { makeTempHome } from "./temp-home.js";
