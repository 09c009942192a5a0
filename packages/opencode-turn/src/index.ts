export type {
  AdapterFactory,
  DriveTurnOptions,
  TurnAdapter,
  TurnPromptCall,
  TurnPromptOptions,
} from "./drive-turn.js";
export { driveTurn } from "./drive-turn.js";
export type { WedgedTurn } from "./heal.js";
