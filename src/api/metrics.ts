/**
 * Prometheus metrics in the text exposition format (version 0.0.4). Counters come from the
 * executor's events in this process; gauges are read from the store at each scrape.
 */
import type { SourceConnector } from '../connectors/types.ts';
import type { Engine } from '../engine/engine.ts';
import type { EngineEvents } from '../engine/events.ts';
import { isPoolLow, lowStockThreshold } from '../engine/pool-watch.ts';

/** Collects what the store cannot tell: operation outcomes, retries, source reads. */
export class MetricsRecorder {
  readonly #clock: () => Date;
  readonly #outcomes = new Map<string, number>();
  readonly #retries = new Map<string, number>();
  readonly #sourceReads = new Map<string, number>();

  constructor(clock: () => Date = () => new Date()) {
    this.#clock = clock;
  }

  /** Counts the executor's outcomes; returns the function that stops counting. */
  attach(events: EngineEvents): () => void {
    const offs = [
      events.on('operation:done', ({ operation }) => this.#count(operation.target, 'done')),
      events.on('operation:failed', ({ operation }) => this.#count(operation.target, 'failed')),
      events.on('operation:retry', ({ operation }) => {
        this.#retries.set(operation.target, (this.#retries.get(operation.target) ?? 0) + 1);
      }),
    ];
    return () => offs.forEach((off) => off());
  }

  /** Records a complete read of a source (full or change feed). */
  sourceRead(source: string, at: Date = this.#clock()): void {
    this.#sourceReads.set(source, at.getTime());
  }

  /** Wraps the engine's sources so that every complete read is recorded. */
  trackSources(engine: Engine): void {
    for (const [name, source] of engine.sources) {
      engine.sources.set(
        name,
        trackedSource(source, (n) => this.sourceRead(n)),
      );
    }
  }

  /** The exposition text. */
  async render(engine: Engine): Promise<string> {
    const { store } = engine;
    const now = this.#clock();
    const out = new Exposition();

    out.family(
      'callsign_operations_total',
      'counter',
      'Operations finished by this process, by target and outcome',
    );
    for (const [key, n] of this.#outcomes) {
      const [target, outcome] = key.split('\u0000') as [string, string];
      out.sample('callsign_operations_total', { target, outcome }, n);
    }
    out.family(
      'callsign_operation_retries_total',
      'counter',
      'Attempts that failed with a retryable error and were scheduled again, by target',
    );
    for (const [target, n] of this.#retries) {
      out.sample('callsign_operation_retries_total', { target }, n);
    }

    const open = await store.listOperations({ state: ['pending', 'running'] });
    out.family('callsign_queue_depth', 'gauge', 'Operations pending or running');
    out.sample('callsign_queue_depth', {}, open.length);
    const oldest = open.reduce((min, op) => (op.createdAt < min ? op.createdAt : min), '~');
    out.family(
      'callsign_queue_oldest_age_seconds',
      'gauge',
      'Age of the oldest pending or running operation; 0 when the queue is empty',
    );
    out.sample(
      'callsign_queue_oldest_age_seconds',
      {},
      oldest === '~' ? 0 : Math.max(0, (now.getTime() - Date.parse(oldest)) / 1000),
    );
    const failed = await store.listOperations({ state: ['failed'] });
    out.family('callsign_operations_failed', 'gauge', 'Failed operations waiting for an operator');
    out.sample('callsign_operations_failed', {}, failed.length);

    const pools = await store.poolUsage(now);
    out.family('callsign_pool_free_numbers', 'gauge', 'Numbers allocation could give now');
    for (const pool of pools) {
      out.sample('callsign_pool_free_numbers', { pool: pool.pool, kind: pool.kind }, pool.free);
    }
    const threshold = lowStockThreshold(engine.config);
    out.family(
      'callsign_pool_low',
      'gauge',
      '1 while the pool is under its low-stock threshold (the pool-low rule, else 10% free)',
    );
    for (const pool of pools) {
      out.sample('callsign_pool_low', { pool: pool.pool }, isPoolLow(pool, threshold, now) ? 1 : 0);
    }

    out.family(
      'callsign_source_last_read_age_seconds',
      'gauge',
      'Seconds since the last complete read of the source by this process',
    );
    for (const [source, at] of this.#sourceReads) {
      out.sample(
        'callsign_source_last_read_age_seconds',
        { source },
        Math.max(0, (now.getTime() - at) / 1000),
      );
    }
    return out.text();
  }

  #count(target: string, outcome: string): void {
    const key = `${target}\u0000${outcome}`;
    this.#outcomes.set(key, (this.#outcomes.get(key) ?? 0) + 1);
  }
}

/** Lines of one exposition; label values escaped as the format asks. */
class Exposition {
  readonly #lines: string[] = [];

  family(name: string, type: 'counter' | 'gauge', help: string): void {
    this.#lines.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    this.#lines.push(`# TYPE ${name} ${type}`);
  }

  sample(name: string, labels: Record<string, string>, value: number): void {
    const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
    const shown = Number.isInteger(value) ? String(value) : value.toFixed(3);
    this.#lines.push(`${name}${pairs.length > 0 ? `{${pairs.join(',')}}` : ''} ${shown}`);
  }

  text(): string {
    return this.#lines.join('\n') + '\n';
  }
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A source whose complete reads are reported; everything else is passed through. */
function trackedSource(source: SourceConnector, onRead: (name: string) => void): SourceConnector {
  return new Proxy(source, {
    get(target, prop) {
      if (prop === 'readAll') {
        return async (signal?: AbortSignal) => {
          const snapshot = await target.readAll(signal);
          if (snapshot.complete) onRead(target.name);
          return snapshot;
        };
      }
      if (prop === 'readChanges' && target.readChanges !== undefined) {
        return async (cursor: string | undefined, signal?: AbortSignal) => {
          const batch = await target.readChanges!(cursor, signal);
          if (batch.complete) onRead(target.name);
          return batch;
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
