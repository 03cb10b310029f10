/**
 * A target that only remembers: resources live in a Map, every effect is recorded. It honours
 * the TargetConnector contract (ensure semantics, declared pace) so the executor can be tested
 * and benchmarked without a telecom platform, and it counts calls in flight so tests can check
 * the concurrency cap.
 */
import type { Attributes } from '../../core/model.ts';
import type {
  PlatformNumber,
  TargetChange,
  TargetConnector,
  TargetPace,
  TargetResult,
} from '../types.ts';

/** Decides whether call number `call` (1-based, over the target's life) fails, and how. */
export type NullFailure = (change: TargetChange, call: number) => Error | undefined;

export interface NullTargetOptions {
  name: string;
  concurrency: number;
  ratePerSecond?: number;
  resourceTypes?: readonly string[];
  /** Injected failures, thrown before the change is made. */
  failures?: NullFailure;
  /** Awaited inside every call before the change (latency, stalls). */
  delay?: (change: TargetChange) => Promise<void>;
  /** False when the target lives for one process only (a configured `null` target). */
  remembers?: boolean;
}

/** One change the target actually made (noops are not effects). */
export interface NullEffect {
  action: TargetChange['action'];
  type: string;
  key: string;
  attributes: Record<string, string>;
  /** True when a secret came with the change; the value itself is kept in `secrets`. */
  withSecret: boolean;
}

export class NullTarget implements TargetConnector {
  readonly name: string;
  readonly kind = 'null';
  readonly resourceTypes: readonly string[];
  readonly remembers: boolean;
  readonly pace: TargetPace;
  /** Current resources by `type/key`. */
  readonly resources = new Map<string, Record<string, string>>();
  /** Secrets by `type/key`, so tests can check what the executor passed. */
  readonly secrets = new Map<string, string>();
  readonly effects: NullEffect[] = [];
  calls = 0;
  inFlight = 0;
  maxInFlight = 0;
  #options: NullTargetOptions;

  constructor(options: NullTargetOptions) {
    this.name = options.name;
    this.resourceTypes = options.resourceTypes ?? [];
    this.pace = { concurrency: options.concurrency, ratePerSecond: options.ratePerSecond };
    this.remembers = options.remembers ?? true;
    this.#options = options;
  }

  async read(type: string, key: string): Promise<Attributes | null> {
    const found = this.resources.get(`${type}/${key}`);
    return found === undefined ? null : { ...found };
  }

  async apply(change: TargetChange): Promise<TargetResult> {
    this.calls += 1;
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.#options.delay !== undefined) await this.#options.delay(change);
      const failure = this.#options.failures?.(change, this.calls);
      if (failure !== undefined) throw failure;
      return this.#ensure(change);
    } finally {
      this.inFlight -= 1;
    }
  }

  /** In use when a resource is keyed by the number or routes to it (`username`). */
  async numberInUse(value: string): Promise<boolean> {
    for (const [ref, attributes] of this.resources) {
      if (ref.slice(ref.indexOf('/') + 1) === value || attributes.username === value) return true;
    }
    return false;
  }

  /** Resource keys as numbers: E.164 keys (`+…`) are DIDs, digit keys extensions. */
  async *listNumbers(): AsyncIterable<PlatformNumber> {
    for (const [ref, attributes] of this.resources) {
      const key = ref.slice(ref.indexOf('/') + 1);
      const kind = /^\+\d+$/.test(key) ? 'did' : /^\d+$/.test(key) ? 'extension' : undefined;
      if (kind !== undefined) yield { value: key, kind, owner: attributes.username ?? key };
    }
  }

  async close(): Promise<void> {}

  /** Reads, then changes only what differs: a retry after a lost answer is a noop. */
  #ensure(change: TargetChange): TargetResult {
    const id = `${change.type}/${change.key}`;
    const current = this.resources.get(id);
    if (change.action === 'delete') {
      if (current === undefined) return { externalId: id, outcome: 'noop' };
      this.resources.delete(id);
      this.secrets.delete(id);
      this.#record(change);
      return { externalId: id, outcome: 'deleted' };
    }

    const wanted = { ...current, ...change.attributes };
    const same = current !== undefined && sameAttributes(current, wanted);
    const secretSame = change.secret === undefined || this.secrets.get(id) === change.secret;
    if (same && secretSame) return { externalId: id, outcome: 'noop' };

    this.resources.set(id, wanted);
    if (change.secret !== undefined) this.secrets.set(id, change.secret);
    this.#record(change);
    return { externalId: id, outcome: current === undefined ? 'created' : 'updated' };
  }

  #record(change: TargetChange): void {
    this.effects.push({
      action: change.action,
      type: change.type,
      key: change.key,
      attributes: { ...change.attributes },
      withSecret: change.secret !== undefined,
    });
  }
}

function sameAttributes(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (a[k] !== b[k]) return false;
  return true;
}
