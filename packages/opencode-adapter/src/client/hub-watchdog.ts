/**
 * The silence watchdog of the event stream: opencode sends a heartbeat, so a stream
 * quiet for longer than the shortest limit of its users means a hung server.
 */
export class SilenceWatchdog {
  private readonly limits = new Map<object, number>();
  private lastActivity = 0;
  private timer: NodeJS.Timeout | undefined;

  /**
   * `watching` says whether the stream is open now (a check that finds it closed
   * stops); `onSilence` gets the limit that was passed.
   */
  constructor(
    private readonly watching: () => boolean,
    private readonly onSilence: (limit: number) => void,
  ) {}

  /** Registers a user's silence limit (undefined removes it); the shortest one of all users applies. */
  setLimit(user: object, ms: number | undefined): void {
    if (ms === undefined) this.limits.delete(user);
    else this.limits.set(user, ms);
  }

  /** Something came in on the stream. */
  activity(): void {
    this.lastActivity = performance.now();
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
      this.onSilence(limit);
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
