/**
 * Cisco Unified Communications Manager as a Callsign target, over AXL (SOAP). Every change is
 * an "ensure": the resource is read first and only what differs is written, so a retry after a
 * lost answer never creates a second user, line or phone. Faults map onto CallsignError in
 * axl-faults.ts; 503 from a busy change queue is retried with backoff in axl-client.ts.
 */
import type { Logger } from 'pino';
import { pino } from 'pino';

import type { CucmTargetConfig } from '../../core/config-types.ts';
import { CallsignError } from '../../core/errors.ts';
import type { Attributes, Link } from '../../core/model.ts';
import type {
  PlatformNumber,
  TargetChange,
  TargetConnector,
  TargetPace,
  TargetResult,
} from '../types.ts';
import { AxlClient, type AxlClientOptions } from './axl-client.ts';
import { AxlSchemaCheck } from './axl-schema-check.ts';
import type { CucmContext } from './cucm-context.ts';
import {
  type CucmPhoneRow,
  type CucmUserRow,
  listNumbers,
  listPhones,
  listUsers,
} from './cucm-inventory.ts';
import { applyForward, forwardCarrier, readForward } from './cucm-forward.ts';
import { applyLine, lineExists, readLine } from './cucm-line.ts';
import { applyPhone, readPhone } from './cucm-phone.ts';
import { applyRemoteDestination, readRemoteDestination } from './cucm-remote-destination.ts';
import { applyUser, readUser } from './cucm-user.ts';
import { readCa, unknownResourceType } from '../target-config.ts';

/** Resource types, in the order a joiner needs them. */
export const CucmResourceType = {
  User: 'cucm-user',
  Line: 'cucm-line',
  Phone: 'cucm-phone',
  /** Single number reach: needs the owner and the dual-mode device or profile first. */
  RemoteDestination: 'cucm-remote-destination',
  /** A leaver's DID forwarded (Call Forward All) on the DN their line had: cucm-forward.ts. */
  Forward: 'did-forward',
} as const;

export interface CucmTargetOptions {
  /** The resolved password (the configuration holds only its reference). */
  password: string;
  log?: Logger;
  /** Backoff on 503 (tests shorten it). */
  busy?: Pick<AxlClientOptions, 'busyAttempts' | 'busyBaseMs' | 'sleep'>;
  /** Lines read per listLine page; default 500. */
  pageSize?: number;
}

export class CucmTarget implements TargetConnector {
  readonly name: string;
  readonly kind = 'cucm';
  readonly resourceTypes = [
    CucmResourceType.User,
    CucmResourceType.Line,
    CucmResourceType.Phone,
    CucmResourceType.RemoteDestination,
    CucmResourceType.Forward,
  ] as const;
  readonly pace: TargetPace;
  readonly axl: AxlClient;
  readonly #ctx: CucmContext;
  readonly #pageSize: number;
  readonly #forwardCss: string | undefined;

  constructor(config: CucmTargetConfig, options: CucmTargetOptions) {
    this.name = config.name;
    // `ratePerSecond` counts AXL writes, paced in the client; the executor bounds only how many
    // operations run at once, so reads never use up the write allowance.
    this.pace = { concurrency: config.concurrency };
    this.axl = new AxlClient({
      target: config.name,
      url: config.url,
      version: config.version,
      username: config.username,
      password: options.password,
      ...(config.tlsCa === undefined ? {} : { ca: readCa(config) }),
      timeoutMs: config.timeoutMs ?? 30_000,
      maxSockets: config.concurrency,
      ...(config.ratePerSecond === undefined ? {} : { writesPerSecond: config.ratePerSecond }),
      ...(config.schema === undefined
        ? {}
        : { schema: new AxlSchemaCheck(config.name, config.schema) }),
      ...options.busy,
    });
    const log = (options.log ?? pino({ level: 'silent' })).child({ target: config.name });
    this.#ctx = { target: config.name, axl: this.axl, log };
    this.#pageSize = options.pageSize ?? 500;
    this.#forwardCss = config.forwardCallingSearchSpace;
  }

  async read(type: string, key: string): Promise<Attributes | null> {
    if (type === CucmResourceType.User) return readUser(this.#ctx, key);
    if (type === CucmResourceType.Line) return readLine(this.#ctx, key);
    if (type === CucmResourceType.Phone) return readPhone(this.#ctx, key);
    if (type === CucmResourceType.RemoteDestination) return readRemoteDestination(this.#ctx, key);
    if (type === CucmResourceType.Forward) return readForward(this.#ctx, key);
    throw unknownResourceType(this, type);
  }

  async apply(change: TargetChange): Promise<TargetResult> {
    let result: TargetResult;
    if (change.type === CucmResourceType.User) result = await applyUser(this.#ctx, change);
    else if (change.type === CucmResourceType.Line) result = await applyLine(this.#ctx, change);
    else if (change.type === CucmResourceType.Phone) result = await applyPhone(this.#ctx, change);
    else if (change.type === CucmResourceType.RemoteDestination) {
      result = await applyRemoteDestination(this.#ctx, change);
    } else if (change.type === CucmResourceType.Forward) {
      result = await applyForward(this.#ctx, change, this.#forwardCss);
    } else throw unknownResourceType(this, change.type);

    this.#ctx.log.info(
      { type: change.type, key: change.key, action: change.action, outcome: result.outcome },
      'cucm change applied',
    );
    return result;
  }

  /** The person's line a leaver forward keeps (see cucm-forward.ts for which one and why). */
  forwardCarrier(links: readonly Link[], number: { did: string; extension?: string }) {
    return forwardCarrier(links, number);
  }

  /** True when a line with this pattern exists in any partition (`+E.164` as `\+…`). */
  async numberInUse(value: string): Promise<boolean> {
    const pattern = value.startsWith('+') ? `\\${value}` : value;
    return lineExists(this.#ctx, pattern);
  }

  /**
   * Every directory number, paged with listLine skip/first; the owner is the end user whose
   * primary extension it is (from listUser), else the line's alerting name or description.
   */
  listNumbers(): AsyncIterable<PlatformNumber> {
    return listNumbers(this.#ctx, this.#pageSize);
  }

  /** Every end user, paged with listUser. */
  listUsers(): AsyncIterable<CucmUserRow> {
    return listUsers(this.#ctx, this.#pageSize);
  }

  /** Every phone, paged with listPhone. */
  listPhones(): AsyncIterable<CucmPhoneRow> {
    return listPhones(this.#ctx, this.#pageSize);
  }

  async close(): Promise<void> {
    this.axl.close();
  }
}
