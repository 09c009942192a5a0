/**
 * The silence watchdog of the event stream: opencode sends a heartbeat, so a stream
 * quiet for longer than the shortest limit of its users means a hung server, unless a
 * probe says otherwise. A busy opencode can block for tens of seconds (a flood of deltas
 * on two loaded cores sent nothing, heartbeats included, for 27 to 31 s): so the first
 * silence of a stretch sends a probe through the stream, and only a probe that does not
 * come back within another limit fails the stream.
 */
export class SilenceWatchdog {
  private readonly limits = new Map<object, number>();
  private lastActivity = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The probe of this quiet stretch was sent (real data ends the stretch). */
  private probed = false;

  /**
   * `watching` says whether the stream is open now (a check that finds it closed
   * stops); `probe` resolves whether a probe came back through the stream within the
   * limit; `onSilence` gets the silence that was let pass.
   */
  constructor(
    private readonly watching: () => boolean,
    private readonly probe: (limit: number) => Promise<boolean>,
    private readonly onSilence: (quietMs: number) => void,
  ) {}

  /** Registers a user's silence limit (undefined removes it); the shortest one of all users applies. */
  setLimit(user: object, ms: number | undefined): void {
    if (ms === undefined) this.limits.delete(user);
    else this.limits.set(user, ms);
  }

  /** Something came in on the stream; `real` unless it was our own probe. */
  activity(real = true): void {
    this.lastActivity = performance.now();
    if (real) this.probed = false;
  }

  /** Starts (or restarts) the watch with the current shortest limit; none: no watch. */
  arm(): void {
    this.clear();
    const limit = this.limit();
    if (limit === undefined) return;
    const check = (): void => {
      this.timer = undefined;
      if (!this.watching()) return;
      const quiet = performance.now() - this.lastActivity;
      if (quiet < limit) {
        this.timer = setTimeout(check, limit - quiet);
        return;
      }
      if (this.probed) {
        this.onSilence(quiet);
        return;
      }
      this.probed = true;
      void this.probe(limit).then((alive) => {
        if (!this.watching()) return;
        if (!alive) this.onSilence(performance.now() - this.lastActivity);
        else this.arm();
      });
    };
    this.timer = setTimeout(check, limit);
  }

  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private limit(): number | undefined {
    let min: number | undefined;
    for (const ms of this.limits.values()) if (min === undefined || ms < min) min = ms;
    return min;
  }
}
