/**
 * A token bucket per target, on an injected clock. It holds at most a tenth of a second's worth
 * of starts (at least one), so a burst never goes far past the declared rate; a Retry-After
 * empties it and moves its next token to the time the target named.
 */
export class TokenBucket {
  readonly ratePerSecond: number | undefined;
  readonly capacity: number;
  #tokens: number;
  #updatedAt: number;
  #pausedUntil = 0;

  /** `ratePerSecond` undefined (or <= 0) means unlimited: only pauses apply. */
  constructor(ratePerSecond: number | undefined, now: Date) {
    const limited = ratePerSecond !== undefined && ratePerSecond > 0;
    this.ratePerSecond = limited ? ratePerSecond : undefined;
    this.capacity = limited ? Math.max(1, Math.floor(ratePerSecond / 10)) : Infinity;
    this.#tokens = this.capacity;
    this.#updatedAt = now.getTime();
  }

  /** Whole starts allowed now. */
  available(now: Date): number {
    if (now.getTime() < this.#pausedUntil) return 0;
    this.#refill(now);
    return Math.floor(this.#tokens);
  }

  /** Takes `count` tokens (the caller asked `available` first). */
  take(count: number, now: Date): void {
    this.#refill(now);
    this.#tokens = Math.max(0, this.#tokens - count);
  }

  /** Milliseconds until one start is allowed; 0 when one is allowed now. */
  waitMs(now: Date): number {
    const t = now.getTime();
    if (t < this.#pausedUntil) return this.#pausedUntil - t;
    this.#refill(now);
    if (this.#tokens >= 1 || this.ratePerSecond === undefined) return 0;
    return Math.ceil(((1 - this.#tokens) * 1000) / this.ratePerSecond);
  }

  /** Retry-After: no start before `until`; the bucket restarts empty then. */
  pauseUntil(until: Date): void {
    const t = until.getTime();
    if (t <= this.#pausedUntil) return;
    this.#pausedUntil = t;
    this.#tokens = this.ratePerSecond === undefined ? Infinity : 0;
    this.#updatedAt = t;
  }

  #refill(now: Date): void {
    const t = now.getTime();
    if (this.ratePerSecond === undefined) {
      this.#tokens = Infinity;
      return;
    }
    // A clock that steps back (NTP) must not mint or destroy tokens.
    if (t <= this.#updatedAt) return;
    const added = ((t - this.#updatedAt) / 1000) * this.ratePerSecond;
    this.#tokens = Math.min(this.capacity, this.#tokens + added);
    this.#updatedAt = t;
  }
}
