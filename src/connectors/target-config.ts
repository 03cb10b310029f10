/**
 * Small pieces every target connector takes from its configuration the same way: its pace and
 * the CA file of its TLS connections.
 */
import { readFileSync } from 'node:fs';

import { CallsignError, ErrorCode } from '../core/errors.ts';
import type { TargetPace } from './types.ts';

/** The pace a target declares to the executor, from `concurrency` and `ratePerSecond`. */
export function paceOf(config: { concurrency: number; ratePerSecond?: number }): TargetPace {
  return config.ratePerSecond === undefined
    ? { concurrency: config.concurrency }
    : { concurrency: config.concurrency, ratePerSecond: config.ratePerSecond };
}

/** Reads the CA file a target's `tlsCa` names, as a config error naming the field. */
export function readCa(config: { name: string; tlsCa?: string }): string {
  try {
    return readFileSync(config.tlsCa ?? '', 'utf8');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new CallsignError(ErrorCode.Config, `targets.${config.name}.tlsCa: ${reason}`);
  }
}
