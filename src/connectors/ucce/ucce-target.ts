/**
 * Cisco Unified/Packaged Contact Center Enterprise as a Callsign target, over the Configuration
 * REST API (XML, `https://aw/unifiedconfig/config`). One resource type, `ucce-agent`, keyed by
 * login name: a person and its agent with skill groups (see ucce-agent.ts for changeStamp
 * handling and deferred delete). The agent's password comes as the change's secret.
 */
import type { Logger } from 'pino';
import { pino } from 'pino';

import type { ContactCenterTargetConfig } from '../../core/config-types.ts';
import type { Attributes } from '../../core/model.ts';
import type { TargetChange, TargetConnector, TargetPace, TargetResult } from '../types.ts';
import { contactCenterRest, type CiscoRestClient } from './cisco-rest.ts';
import { type UcceContext, applyAgent, readAgent } from './ucce-agent.ts';
import { paceOf, unknownResourceType } from '../target-config.ts';

export const UcceResourceType = { Agent: 'ucce-agent' } as const;

export interface UcceTargetOptions {
  /** The resolved password (the configuration holds only its reference). */
  password: string;
  log?: Logger;
  /** Items per list page; default 100, the API's largest. */
  pageSize?: number;
}

export class UcceTarget implements TargetConnector {
  readonly name: string;
  readonly kind = 'ucce';
  readonly resourceTypes = [UcceResourceType.Agent] as const;
  readonly pace: TargetPace;
  readonly rest: CiscoRestClient;
  readonly #ctx: UcceContext;

  constructor(config: ContactCenterTargetConfig, options: UcceTargetOptions) {
    this.name = config.name;
    this.pace = paceOf(config);
    this.rest = contactCenterRest(config, 'UCCE', options.password);
    const log = (options.log ?? pino({ level: 'silent' })).child({ target: config.name });
    this.#ctx = { target: config.name, rest: this.rest, log, pageSize: options.pageSize ?? 100 };
  }

  async read(type: string, key: string): Promise<Attributes | null> {
    if (type === UcceResourceType.Agent) return readAgent(this.#ctx, key);
    throw unknownResourceType(this, type);
  }

  async apply(change: TargetChange): Promise<TargetResult> {
    if (change.type !== UcceResourceType.Agent) throw unknownResourceType(this, change.type);
    const result = await applyAgent(this.#ctx, change);
    this.#ctx.log.info(
      { type: change.type, key: change.key, action: change.action, outcome: result.outcome },
      'ucce change applied',
    );
    return result;
  }

  async close(): Promise<void> {
    this.rest.close();
  }
}
