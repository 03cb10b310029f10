/**
 * A target whose effects are lines appended to a file, for crash tests across processes. It
 * "ensures" like a real connector: it reads every effect written so far (by any process)
 * before it writes, so a retry after a crash or a lost answer is a noop. Faults are injected
 * on both sides of the effect: a timeout before it, and a connection reset after the commit.
 */
import { appendFileSync, closeSync, fstatSync, openSync, readSync } from 'node:fs';

import type { Attributes } from '../../core/model.ts';
import { CallsignError, ErrorCode } from '../../core/errors.ts';
import type { TargetChange, TargetConnector, TargetResult } from '../../connectors/types.ts';

export interface FileTargetOptions {
  name: string;
  file: string;
  concurrency: number;
  /** Share of calls that time out before the effect (retryable). */
  timeoutRate?: number;
  /** Share of calls that make the effect and then lose the answer (retryable). */
  resetAfterCommitRate?: number;
  /** Awaited before each effect, to keep calls in flight long enough to be killed. */
  latencyMs?: number;
  random?: () => number;
}

/** One line of the effects file. */
export interface FileEffect {
  key: string;
  personId: string;
  /** The operation's position among its person's operations. */
  n: number;
  pid: number;
}

export class FileTarget implements TargetConnector {
  readonly name: string;
  readonly kind = 'file';
  readonly resourceTypes = ['thing'] as const;
  readonly pace: { concurrency: number };
  #options: FileTargetOptions;
  #offset = 0;
  #partial = '';
  #keys = new Set<string>();

  constructor(options: FileTargetOptions) {
    this.name = options.name;
    this.pace = { concurrency: options.concurrency };
    this.#options = options;
  }

  async read(_type: string, key: string): Promise<Attributes | null> {
    this.#catchUp();
    return this.#keys.has(key) ? { key } : null;
  }

  async apply(change: TargetChange): Promise<TargetResult> {
    const random = this.#options.random ?? Math.random;
    const latency = this.#options.latencyMs ?? 0;
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
    if (random() < (this.#options.timeoutRate ?? 0)) {
      throw new CallsignError(ErrorCode.Unavailable, `Call for '${change.key}' timed out`);
    }

    this.#catchUp();
    if (this.#keys.has(change.key)) return { externalId: change.key, outcome: 'noop' };
    const effect: FileEffect = {
      key: change.key,
      personId: change.attributes.personId ?? '',
      n: Number(change.attributes.n),
      pid: process.pid,
    };
    appendFileSync(this.#options.file, `${JSON.stringify(effect)}\n`);
    this.#keys.add(change.key);

    if (random() < (this.#options.resetAfterCommitRate ?? 0)) {
      throw new CallsignError(ErrorCode.Unavailable, `Connection reset after '${change.key}'`);
    }
    return { externalId: change.key, outcome: 'created' };
  }

  async close(): Promise<void> {}

  /** Reads the lines other processes appended since the last look. */
  #catchUp(): void {
    const fd = openSync(this.#options.file, 'a+');
    try {
      const size = fstatSync(fd).size;
      if (size <= this.#offset) return;
      const buffer = Buffer.alloc(size - this.#offset);
      readSync(fd, buffer, 0, buffer.length, this.#offset);
      this.#offset = size;
      const lines = (this.#partial + buffer.toString('utf8')).split('\n');
      this.#partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line !== '') this.#keys.add((JSON.parse(line) as FileEffect).key);
      }
    } finally {
      closeSync(fd);
    }
  }
}

/** Parses an effects file (used by the test's assertions). */
export function parseEffects(text: string): FileEffect[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as FileEffect);
}
