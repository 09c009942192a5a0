/**
 * The one scale factor of every test timeout and wait: `TAOS_TEST_SLOWDOWN` (default 1).
 * A busy or small machine sets it (CI's loaded stage runs with both cores burned) instead
 * of each test growing its own constants.
 */
export function testSlowdown(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.TAOS_TEST_SLOWDOWN ?? "1");
  return Number.isFinite(value) && value >= 1 ? value : 1;
}

/** `ms` scaled by the slowdown: the timeouts and waits of tests. */
export function scaled(ms: number): number {
  return Math.round(ms * testSlowdown());
}
