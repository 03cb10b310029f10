/**
 * What the resource modules (users, lines, phones) share: the AXL client, the target's name,
 * and the small checks every one of them makes on a change's key and attributes.
 */
import type { Logger } from 'pino';

import { CallsignError, ErrorCode } from '../../core/errors.ts';
import type { AxlClient } from './axl-client.ts';

export interface CucmContext {
  target: string;
  axl: AxlClient;
  log: Logger;
}

/** A directory number: pattern plus route partition (empty: no partition, a key of its own). */
export interface DirnKey {
  pattern: string;
  partition: string;
}

/**
 * Parses `pattern@partition` or a bare `pattern`. Partition names cannot hold `@`, and neither
 * can a directory number pattern, so the last `@` splits them unambiguously.
 */
export function parseDirn(target: string, value: string, field: string): DirnKey {
  const at = value.lastIndexOf('@');
  const pattern = at < 0 ? value : value.slice(0, at);
  const partition = at < 0 ? '' : value.slice(at + 1);
  if (pattern === '' || /\s/.test(pattern)) {
    const msg = `Target '${target}': ${field} '${value}' is not pattern or pattern@partition`;
    throw new CallsignError(ErrorCode.Rejected, msg, { details: { target, field } });
  }
  return { pattern, partition };
}

/** `1001@Internal_PT`, or `1001` without a partition. */
export function formatDirn(key: DirnKey): string {
  return key.partition === '' ? key.pattern : `${key.pattern}@${key.partition}`;
}

/** Refuses attributes the resource type does not know, so a profile's typo is not ignored. */
export function checkAttributes(
  ctx: CucmContext,
  change: { type: string; key: string; attributes: Record<string, string> },
  allowed: (name: string) => boolean,
): void {
  const unknown = Object.keys(change.attributes).filter((name) => !allowed(name));
  if (unknown.length === 0) return;
  const msg =
    `Target '${ctx.target}' ${change.type} '${change.key}': unknown attribute ` +
    `${unknown.map((u) => `'${u}'`).join(', ')}`;
  throw new CallsignError(ErrorCode.Rejected, msg, {
    details: { target: ctx.target, type: change.type, key: change.key, fields: unknown },
  });
}

/** Runs a get; a not-found fault means absent. */
export async function getOrNull<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof CallsignError && err.code === ErrorCode.NotFound) return null;
    throw err;
  }
}

/** Runs a remove; a not-found fault means someone else removed it already. */
export async function removeOrNoop(remove: () => Promise<unknown>): Promise<boolean> {
  const done = await getOrNull(remove);
  return done !== null;
}

/** Comma-separated list attribute (`associatedDevices`) as unique, trimmed names. */
export function splitList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return [
    ...new Set(
      value
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== ''),
    ),
  ];
}
