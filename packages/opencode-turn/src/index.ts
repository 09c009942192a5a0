export type { AdapterFactory, DriveTurnOptions, TurnAdapter } from "./drive-turn.js";
export { driveTurn } from "./drive-turn.js";
