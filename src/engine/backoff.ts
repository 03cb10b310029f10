/**
 * Exponential backoff with full jitter: attempt n waits a random time in
 * [base·2^(n-1)/2, base·2^(n-1)], capped at max. Half the window stays fixed so a retry never
 * fires at once, the other half spreads workers that failed together.
 */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** Returns a number in [0, 1); injected by tests. */
  random?: () => number;
}

/** Milliseconds to wait before attempt `attempt + 1`, given `attempt` attempts so far (>= 1). */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const random = options.random ?? Math.random;
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** exponent);
  const half = ceiling / 2;
  return Math.round(half + random() * half);
}
