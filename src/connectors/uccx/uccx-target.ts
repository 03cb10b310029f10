/**
 * Cisco Unified Contact Center Express as a Callsign target, over the Admin REST API (XML).
 * One resource type, `uccx-agent`, keyed by the CUCM user id: UCCX creates the agent itself once
 * the CUCM user has an IPCC extension, and Callsign sets its team, resource group and skills
 * (see uccx-agent.ts). Until UCCX has synced the user, apply fails with `waiting`, retryable.
 */
import type { Logger } from 'pino';
import { pino } from 'pino';

import type { ContactCenterTargetConfig } from '../../core/config-types.ts';
import type { Attributes } from '../../core/model.ts';
import type { TargetChange, TargetConnector, TargetPace, TargetResult } from '../types.ts';
import { contactCenterRest, type CiscoRestClient } from '../ucce/cisco-rest.ts';
import { type UccxContext, applyAgent, readAgent } from './uccx-agent.ts';
import { UccxCatalog } from './uccx-catalog.ts';
import { paceOf, unknownResourceType } from '../target-config.ts';

export const UccxResourceType = { Agent: 'uccx-agent' } as const;

export interface UccxTargetOptions {
  /** The resolved password (the configuration holds only its reference). */
  password: string;
  log?: Logger;
  clock?: () => Date;
  /** How long skill, team and resource group lists are trusted; default 5 minutes. */
  catalogTtlMs?: number;
}

export class UccxTarget implements TargetConnector {
  readonly name: string;
  readonly kind = 'uccx';
  readonly resourceTypes = [UccxResourceType.Agent] as const;
  readonly pace: TargetPace;
  readonly rest: CiscoRestClient;
  readonly #ctx: UccxContext;

  constructor(config: ContactCenterTargetConfig, options: UccxTargetOptions) {
    this.name = config.name;
    this.pace = paceOf(config);
    this.rest = contactCenterRest(config, 'UCCX', options.password);
    const log = (options.log ?? pino({ level: 'silent' })).child({ target: config.name });
    const catalog = new UccxCatalog({
      target: config.name,
      rest: this.rest,
      clock: options.clock ?? (() => new Date()),
      ttlMs: options.catalogTtlMs ?? 300_000,
    });
    this.#ctx = { target: config.name, rest: this.rest, catalog, log };
  }

  async read(type: string, key: string): Promise<Attributes | null> {
    if (type === UccxResourceType.Agent) return readAgent(this.#ctx, key);
    throw unknownResourceType(this, type);
  }

  async apply(change: TargetChange): Promise<TargetResult> {
    if (change.type !== UccxResourceType.Agent) throw unknownResourceType(this, change.type);
    const result = await applyAgent(this.#ctx, change);
    this.#ctx.log.info(
      { type: change.type, key: change.key, action: change.action, outcome: result.outcome },
      'uccx change applied',
    );
    return result;
  }

  async close(): Promise<void> {
    this.rest.close();
  }
}
