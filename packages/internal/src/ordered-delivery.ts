/**
 * Hands items to a consumer one at a time, in order, whether the consumer is sync or
 * async. A consumer that throws or rejects is reported through `onError` and the next
 * item still goes out. A sync consumer is called at once (no microtask per item).
 */
export class OrderedDelivery<T> {
  private tail: Promise<void> | undefined;

  constructor(
    private readonly consumer: (item: T) => void | Promise<void>,
    private readonly onError: (item: T, error: unknown) => void,
  ) {}

  /** Queues `item` behind everything pushed before it. */
  push(item: T): void {
    if (this.tail !== undefined) {
      this.track(this.tail.then(() => this.callAsync(item)));
      return;
    }
    const pending = this.callSync(item);
    if (pending !== undefined) this.track(pending);
  }

  /** Resolves once every item pushed so far (and any pushed meanwhile) has been taken. */
  async settled(): Promise<void> {
    while (this.tail !== undefined) await this.tail;
  }

  private track(tail: Promise<void>): void {
    this.tail = tail;
    void tail.then(() => {
      if (this.tail === tail) this.tail = undefined;
    });
  }

  /** Calls the consumer now; returns a promise only when it returned one. */
  private callSync(item: T): Promise<void> | undefined {
    let result: void | Promise<void>;
    try {
      result = this.consumer(item);
    } catch (error) {
      this.onError(item, error);
      return undefined;
    }
    if (result === undefined || typeof (result as Promise<void>).then !== "function")
      return undefined;
    return Promise.resolve(result).then(
      () => undefined,
      (error: unknown) => this.onError(item, error),
    );
  }

  private async callAsync(item: T): Promise<void> {
    try {
      await this.consumer(item);
    } catch (error) {
      this.onError(item, error);
    }
  }
}
