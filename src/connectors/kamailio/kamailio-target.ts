/**
 * Kamailio as a Callsign target. Provisioning is rows in the SQLite database Kamailio reads on
 * every request: an extension is a `subscriber` row (auth_db), a DID is a `dbaliases` row
 * pointing at it (alias_db). Deleting a subscriber also drops its live registrations over
 * JSON-RPC, or it could keep receiving calls until its contacts expire.
 */
import type { Logger } from 'pino';
import { pino } from 'pino';
import type { KamailioTargetConfig } from '../../core/config-types.ts';
import type { Attributes } from '../../core/model.ts';
import type {
  PlatformNumber,
  TargetChange,
  TargetConnector,
  TargetPace,
  TargetResult,
} from '../types.ts';
import { applyAlias, readAlias } from './alias-rows.ts';
import { applyForward, readForward } from './forward-rows.ts';
import { KamailioDb } from './kamailio-db.ts';
import { KamailioRpc } from './kamailio-rpc.ts';
import { applySubscriber, readSubscriber } from './subscriber-rows.ts';
import { paceOf, unknownResourceType } from '../target-config.ts';

export const KamailioResourceType = {
  Subscriber: 'sip-subscriber',
  Alias: 'sip-alias',
  Forward: 'did-forward',
} as const;

export interface KamailioTargetOptions {
  log?: Logger;
  /** For the JSON-RPC calls; tests inject failures through it. */
  fetch?: typeof fetch;
}

/**
 * Resource types:
 * - `sip-subscriber`, key = extension (the SIP username). Attributes: `username` (equal to the
 *   key when given), `domain` (default: the target's domain), `displayName`. The change's
 *   secret is the SIP password.
 * - `sip-alias`, key = DID in E.164 (`+19085550100`, stored with the `+`). Attributes:
 *   `username` (the extension it rings), `domain`.
 * - `did-forward`, key = DID: a leaver's DID ringing `extension` (else `to`) for a while; the
 *   same `dbaliases` row as the alias (see forward-rows.ts).
 */
/** Rows read per query by `listNumbers`. */
const LIST_PAGE = 500;

export class KamailioTarget implements TargetConnector {
  readonly name: string;
  readonly kind = 'kamailio';
  readonly resourceTypes = [
    KamailioResourceType.Subscriber,
    KamailioResourceType.Alias,
    KamailioResourceType.Forward,
  ] as const;
  readonly pace: TargetPace;
  readonly #config: KamailioTargetConfig;
  readonly #db: KamailioDb;
  readonly #rpc: KamailioRpc | undefined;
  readonly #log: Logger;

  constructor(config: KamailioTargetConfig, options: KamailioTargetOptions = {}) {
    this.name = config.name;
    this.#config = config;
    this.pace = paceOf(config);
    this.#db = new KamailioDb(config.database);
    this.#rpc =
      config.rpcUrl === undefined
        ? undefined
        : new KamailioRpc({ url: config.rpcUrl, ...optionalFetch(options.fetch) });
    this.#log = (options.log ?? pino({ level: 'silent' })).child({ target: config.name });
  }

  async read(type: string, key: string): Promise<Attributes | null> {
    const context = this.#context();
    if (type === KamailioResourceType.Subscriber) return readSubscriber(context, key);
    if (type === KamailioResourceType.Alias) return readAlias(context, key);
    if (type === KamailioResourceType.Forward) return readForward(context, key);
    throw unknownResourceType(this, type);
  }

  async apply(change: TargetChange): Promise<TargetResult> {
    const context = this.#context();
    let result: TargetResult;
    if (change.type === KamailioResourceType.Subscriber) {
      result = await applySubscriber(context, change);
    } else if (change.type === KamailioResourceType.Alias) {
      result = applyAlias(context, change);
    } else if (change.type === KamailioResourceType.Forward) {
      result = applyForward(context, change);
    } else {
      throw unknownResourceType(this, change.type);
    }

    // Fixed message, data in fields; the change's secret is never part of it.
    this.#log.info(
      { type: change.type, key: change.key, action: change.action, outcome: result.outcome },
      'kamailio change applied',
    );
    return result;
  }

  /** True when `value` (extension or E.164 DID) is a subscriber or an alias in the domain. */
  /**
   * Subscribers of the domain as extensions, aliases as DIDs (the `+` added when written
   * without it), read a page at a time by rowid so a large table is never held at once.
   */
  async *listNumbers(): AsyncIterable<PlatformNumber> {
    for (const table of ['subscriber', 'dbaliases'] as const) {
      let after = 0;
      for (;;) {
        const page = this.#db.read(`${table} numbers`, () =>
          this.#db.numbersPage(table, this.#config.domain, after, LIST_PAGE),
        );
        for (const row of page) {
          if (table === 'subscriber') {
            yield { value: row.value, kind: 'extension', owner: row.owner };
          } else {
            const value = /^\d+$/.test(row.value) ? `+${row.value}` : row.value;
            yield { value, kind: 'did', owner: row.owner };
          }
        }
        if (page.length < LIST_PAGE) break;
        after = page[page.length - 1]!.rowid;
      }
    }
  }

  async numberInUse(value: string): Promise<boolean> {
    // An alias written by hand may lack the `+` of E.164; both spellings count as the number.
    const spellings = value.startsWith('+') ? [value, value.slice(1)] : [value];
    return this.#db.read(`number ${value}`, () =>
      this.#db.numberUsed(spellings, this.#config.domain),
    );
  }

  async close(): Promise<void> {
    this.#db.close();
  }

  #context(): KamailioContext {
    return { config: this.#config, db: this.#db, rpc: this.#rpc, log: this.#log };
  }
}

/** What the row modules need from the target. */
export interface KamailioContext {
  config: KamailioTargetConfig;
  db: KamailioDb;
  rpc: KamailioRpc | undefined;
  log: Logger;
}

function optionalFetch(impl: typeof fetch | undefined): { fetch?: typeof fetch } {
  return impl === undefined ? {} : { fetch: impl };
}
