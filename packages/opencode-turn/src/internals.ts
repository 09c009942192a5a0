// `@taos/opencode-turn/internals`: what the runtime and the pool share to heal a wedged
// server; not the public API (it may change in any release).
export type { HealingTurn, WedgedTurn } from "./heal.js";
export {
  DEFAULT_WEDGED_AFTER,
  isWedgeSign,
  runHealingTurn,
  WedgeWatch,
  wedgedAfterOption,
} from "./heal.js";
