/**
 * Cisco Unity Connection as a Callsign target, over CUPI (REST with JSON). One resource type,
 * `cuc-mailbox`, keyed by alias; every change is an "ensure" (look up by alias, then create from
 * the template, update what differs, or delete), so a retry after a lost answer never makes a
 * second mailbox. Errors map onto CallsignError in cupi-errors.ts; 503 is retried with backoff
 * in cupi-client.ts.
 */
import type { Logger } from 'pino';
import { pino } from 'pino';

import type { CucTargetConfig } from '../../core/config-types.ts';
import { CallsignError } from '../../core/errors.ts';
import type { Attributes } from '../../core/model.ts';
import type {
  PlatformNumber,
  TargetChange,
  TargetConnector,
  TargetPace,
  TargetResult,
} from '../types.ts';
import { CupiClient, type CupiClientOptions } from './cupi-client.ts';
import {
  applyMailbox,
  type CucContext,
  extensionInUse,
  listExtensions,
  readMailbox,
} from './cuc-mailbox.ts';
import { paceOf, readCa, unknownResourceType } from '../target-config.ts';

export const CucResourceType = {
  /**
   * Attributes: `alias` (equal to the key when given), `firstName`, `lastName`, `displayName`,
   * `dtmfAccessId` (the extension), `emailAddress`. The change's secret is the phone PIN.
   */
  Mailbox: 'cuc-mailbox',
} as const;

export interface CucTargetOptions {
  /** The resolved password (the configuration holds only its reference). */
  password: string;
  log?: Logger;
  /** Backoff on 503 (tests shorten it). */
  busy?: Pick<CupiClientOptions, 'busyAttempts' | 'busyBaseMs' | 'sleep'>;
  /** Users read per page by `listNumbers`; default 500. */
  pageSize?: number;
}

export class CucTarget implements TargetConnector {
  readonly name: string;
  readonly kind = 'cuc';
  readonly resourceTypes = [CucResourceType.Mailbox] as const;
  readonly pace: TargetPace;
  readonly cupi: CupiClient;
  readonly #ctx: CucContext;
  readonly #pageSize: number;

  constructor(config: CucTargetConfig, options: CucTargetOptions) {
    this.name = config.name;
    this.pace = paceOf(config);
    this.cupi = new CupiClient({
      target: config.name,
      url: config.url,
      username: config.username,
      password: options.password,
      ...(config.tlsCa === undefined ? {} : { ca: readCa(config) }),
      timeoutMs: config.timeoutMs ?? 30_000,
      maxSockets: config.concurrency,
      ...options.busy,
    });
    const log = (options.log ?? pino({ level: 'silent' })).child({ target: config.name });
    this.#ctx = {
      target: config.name,
      cupi: this.cupi,
      log,
      templateAlias: config.templateAlias || 'voicemailusertemplate',
    };
    this.#pageSize = options.pageSize ?? 500;
  }

  async read(type: string, key: string): Promise<Attributes | null> {
    if (type === CucResourceType.Mailbox) return readMailbox(this.#ctx, key);
    throw unknownResourceType(this, type);
  }

  async apply(change: TargetChange): Promise<TargetResult> {
    if (change.type !== CucResourceType.Mailbox) throw unknownResourceType(this, change.type);
    const result = await applyMailbox(this.#ctx, change);

    this.#ctx.log.info(
      {
        type: change.type,
        key: change.key,
        action: change.action,
        outcome: result.outcome,
        pin: change.secret !== undefined && change.action !== 'delete',
      },
      'cuc change applied',
    );
    return result;
  }

  /** True when a user has this number as primary extension (DtmfAccessId). */
  async numberInUse(value: string): Promise<boolean> {
    return extensionInUse(this.#ctx, value);
  }

  /** Every user's primary extension, paged. */
  listNumbers(): AsyncIterable<PlatformNumber> {
    return listExtensions(this.#ctx, this.#pageSize);
  }

  async close(): Promise<void> {
    this.cupi.close();
  }
}
