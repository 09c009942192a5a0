import type { Parameters } from "fast-check";

/**
 * fast-check settings for this suite: `STACK_PROPERTY_SEED` replays a run (fast-check
 * prints the seed and the path of any failure), `STACK_PROPERTY_RUNS` overrides the
 * number of runs of every property.
 */
export function propertyParameters<T>(defaults: { readonly numRuns: number }): Parameters<T> {
  const seed = process.env.STACK_PROPERTY_SEED;
  const runs = process.env.STACK_PROPERTY_RUNS;
  const parameters: { -readonly [K in keyof Parameters<T>]: Parameters<T>[K] } = {
    numRuns: runs !== undefined && runs !== "" ? Number(runs) : defaults.numRuns,
  };
  if (seed !== undefined && seed !== "") parameters.seed = Number(seed);
  return parameters;
}
