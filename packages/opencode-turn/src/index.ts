export type {
  AdapterFactory,
  DriveTurnOptions,
  TurnAdapter,
  TurnPromptCall,
  TurnPromptOptions,
} from "./drive-turn.js";
export { driveTurn } from "./drive-turn.js";
export type { HealingTurn, WedgedTurn } from "./heal.js";
export {
  DEFAULT_WEDGED_AFTER,
  isWedgeSign,
  runHealingTurn,
  WedgeWatch,
  wedgedAfterOption,
} from "./heal.js";
