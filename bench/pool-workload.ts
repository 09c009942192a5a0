/**
 * The pool bench's workload, shared with the eviction simulation so both replay the same
 * turns: `turns` agent indexes, 60% of them on the `hot` first agents, the rest spread
 * over the tail. Seeded: the same sizes give the same list.
 */
export function poolWorkload(agents: number, turns: number, hot: number): number[] {
  let seed = 0x5eed;
  const random = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
    return seed / 0x80000000;
  };
  return Array.from({ length: turns }, () =>
    random() < 0.6
      ? Math.floor(random() * hot)
      : Math.min(agents - 1, hot + Math.floor(random() * (agents - hot))),
  );
}
