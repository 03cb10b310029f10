/**
 * Cisco Webex (people with Webex Calling) as a Callsign target, over the People REST API with
 * an OAuth bearer token. One resource type, `webex-person`, keyed by email. Every change is an
 * "ensure" (webex-person.ts); errors map onto CallsignError in webex-errors.ts; 429 waits for
 * `Retry-After` in webex-client.ts.
 */
import type { Logger } from 'pino';
import { pino } from 'pino';

import type { WebexTargetConfig } from '../../core/config-types.ts';
import { CallsignError } from '../../core/errors.ts';
import type { Attributes } from '../../core/model.ts';
import type {
  PlatformNumber,
  TargetChange,
  TargetConnector,
  TargetPace,
  TargetResult,
} from '../types.ts';
import { WebexClient, type WebexClientOptions } from './webex-client.ts';
import type { WebexContext } from './webex-context.ts';
import { listNumbers, numberInUse } from './webex-numbers.ts';
import { applyPerson, readPerson } from './webex-person.ts';
import { paceOf, readCa, unknownResourceType } from '../target-config.ts';

/** Resource types, in the order a joiner needs them. */
export const WebexResourceType = {
  Person: 'webex-person',
} as const;

export const WEBEX_DEFAULT_URL = 'https://webexapis.com';

export interface WebexTargetOptions {
  /** The resolved bearer token (the configuration holds only its reference). */
  token: string;
  log?: Logger;
  /** 429 handling and the clock for `Retry-After` dates (tests inject them). */
  throttle?: Pick<WebexClientOptions, 'throttleAttempts' | 'maxWaitMs' | 'sleep' | 'clock'>;
  /** People read per page when scanning for numbers; default 1000 (the API's largest). */
  pageSize?: number;
}

export class WebexTarget implements TargetConnector {
  readonly name: string;
  readonly kind = 'webex';
  readonly resourceTypes = [WebexResourceType.Person] as const;
  readonly pace: TargetPace;
  readonly client: WebexClient;
  readonly #ctx: WebexContext;
  readonly #pageSize: number;

  constructor(config: WebexTargetConfig, options: WebexTargetOptions) {
    this.name = config.name;
    this.pace = paceOf(config);
    this.client = new WebexClient({
      target: config.name,
      url: config.url,
      token: options.token,
      ...(config.tlsCa === undefined ? {} : { ca: readCa(config) }),
      timeoutMs: config.timeoutMs ?? 30_000,
      ...options.throttle,
    });
    const log = (options.log ?? pino({ level: 'silent' })).child({ target: config.name });
    this.#ctx = {
      target: config.name,
      client: this.client,
      log,
      locationId: config.locationId,
      licenses: config.licenses,
      ...(config.orgId === undefined ? {} : { orgId: config.orgId }),
    };
    this.#pageSize = options.pageSize ?? 1000;
  }

  async read(type: string, key: string): Promise<Attributes | null> {
    if (type === WebexResourceType.Person) return readPerson(this.#ctx, key);
    throw unknownResourceType(this, type);
  }

  async apply(change: TargetChange): Promise<TargetResult> {
    if (change.type !== WebexResourceType.Person) throw unknownResourceType(this, change.type);
    const result = await applyPerson(this.#ctx, change);
    this.#ctx.log.info(
      { type: change.type, key: change.key, action: change.action, outcome: result.outcome },
      'webex change applied',
    );
    return result;
  }

  /** Pages through people: the People API cannot filter by number (see webex-numbers.ts). */
  async numberInUse(value: string): Promise<boolean> {
    return numberInUse(this.#ctx, value, this.#pageSize);
  }

  listNumbers(): AsyncIterable<PlatformNumber> {
    return listNumbers(this.#ctx, this.#pageSize);
  }

  async close(): Promise<void> {
    // fetch keeps no state of ours open.
  }
}
