/**
 * Paces AXL writes. Unified CM throttles writes, not reads (every add, update, remove or apply
 * goes through its change-notification queue), so a limit of N writes per second is kept here,
 * per write request, rather than per Callsign operation: one operation makes several AXL calls
 * (a get before every add, an updateUser after a phone to associate it), and pacing operations
 * would either overrun the limit or waste it on reads.
 */

/** Operations that change the database or a device: the ones Unified CM throttles. */
export function isAxlWrite(operation: string): boolean {
  return /^(add|update|remove|apply|reset|restart|wipe|lock|do)[A-Z]/.test(operation);
}

/**
 * Slots are planned 3% wider than the limit (103 ms at 10 per second): the limit is counted
 * where the writes arrive, and the way there (a socket, a busy event loop, the network) can
 * bring writes closer than they left. The real-time guard is looser (1010 ms for N writes), so
 * a timer that fires up to 20 ms late is absorbed by the margin instead of delaying every
 * later write.
 */
const SLOT_WINDOW_MS = 1030;
const GUARD_WINDOW_MS = 1010;

export interface PacerClock {
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Writes go one at a time, in the order they asked, on two rules: each has a slot, WINDOW/N
 * after the previous slot (slots are planned times, so a timer that fires late does not push
 * every later write back); and no write goes until the one N writes before it really went
 * more than a second ago (real times, so a late write followed by an on-time one can never put
 * N + 1 writes in one second). A retried write asks for a turn again.
 */
export class WritePacer {
  readonly #limit: number;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  #slot = -Infinity;
  /** When the last `#limit` writes really went, oldest first. */
  readonly #sent: { at: number }[] = [];
  #queue: Promise<unknown> = Promise.resolve();

  constructor(writesPerSecond: number, clock: PacerClock = {}) {
    this.#limit = Math.max(1, Math.floor(writesPerSecond));
    this.#intervalMs = SLOT_WINDOW_MS / writesPerSecond;
    this.#now = clock.now ?? (() => performance.now());
    this.#sleep = clock.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /**
   * Resolves when this write may be sent, with a function to call once the request has really
   * left (its last byte handed to the socket): the guard then counts from that moment, so a
   * pause between the turn and the send cannot bring writes closer than the limit allows.
   */
  turn(): Promise<() => void> {
    const mine = this.#queue.then(() => this.#wait());
    this.#queue = mine;
    return mine;
  }

  async #wait(): Promise<() => void> {
    // After an idle spell the next slot is now: no credit builds up for a burst.
    this.#slot = Math.max(this.#slot + this.#intervalMs, this.#now());
    const oldest = this.#sent.length >= this.#limit ? this.#sent[0]!.at : -Infinity;
    const due = Math.max(this.#slot, oldest + GUARD_WINDOW_MS);
    // setTimeout may fire a millisecond early: wait until the moment has really come.
    while (this.#now() < due) await this.#sleep(Math.max(1, Math.ceil(due - this.#now())));
    const record = { at: this.#now() };
    this.#sent.push(record);
    if (this.#sent.length > this.#limit) this.#sent.shift();
    return () => {
      record.at = Math.max(record.at, this.#now());
    };
  }
}
