import { dirname, isAbsolute, resolve } from 'node:path';
import type { Logger } from 'pino';

import type { CallsignConfig, SourceConfig, TargetConfig } from '../core/config-types.ts';
import { CallsignError } from '../core/errors.ts';
import { resolveSecret } from '../core/secrets.ts';
import { CucTarget } from '../connectors/cuc/cuc-target.ts';
import { CucmTarget } from '../connectors/cucm/cucm-target.ts';
import { UcceTarget } from '../connectors/ucce/ucce-target.ts';
import { UccxTarget } from '../connectors/uccx/uccx-target.ts';
import { WebexTarget } from '../connectors/webex/webex-target.ts';
import { KamailioTarget } from '../connectors/kamailio/kamailio-target.ts';
import { HrFileSource } from '../connectors/hr/hr-file-source.ts';
import {
  secretRefOf,
  type SuccessFactorsSourceConfig,
  type WorkdaySourceConfig,
} from '../core/config-hr-api.ts';
import { SuccessFactorsSource } from '../connectors/successfactors/successfactors-source.ts';
import { WorkdaySource } from '../connectors/workday/workday-source.ts';
import { HrHttpsSource } from '../connectors/hr/hr-https-source.ts';
import { HrPushSource } from '../connectors/hr/hr-push-source.ts';
import { LdapSource } from '../connectors/ldap/ldap-source.ts';
import { ScimSource } from '../connectors/scim/scim-source.ts';
import { ServiceNowSource } from '../connectors/servicenow/servicenow-source.ts';
import { NullTarget } from '../connectors/null/null-target.ts';
import type { SourceConnector, TargetConnector } from '../connectors/types.ts';
import { openStore } from '../store/open.ts';
import type { PoolChange, PoolDefinition, Store } from '../store/types.ts';
import { scimStoreOf } from '../scim/scim-store.ts';
import { poolDefinition } from '../core/pools.ts';
import { inventoryHandler, type OperationHandler, writeBackHandler } from './handlers.ts';
import { loadVaultKey, Vault } from './vault.ts';

/** Everything a command needs: the configuration, the store and the opened connectors. */
export interface Engine {
  config: CallsignConfig;
  store: Store;
  sources: Map<string, SourceConnector>;
  targets: Map<string, TargetConnector>;
  /** Pseudo-targets: the number inventory and each source that writes back. */
  handlers: Map<string, OperationHandler>;
  vault: Vault;
  log: Logger;
  clock: () => Date;
  /**
   * Set when the engine was opened without applying the pool definitions (a dry run): the
   * definitions left unapplied and what applying them would change.
   */
  unsyncedPools?: { definitions: PoolDefinition[]; changes: PoolChange[] };
  close(): Promise<void>;
}

export interface OpenEngineOptions {
  log: Logger;
  clock?: () => Date;
  /** Who is acting, for the audit: `cli:<user>`, `poll`, `api:<token>`. */
  actor: string;
  /** Open connectors (sources, targets). Commands that only read the store skip them. */
  connectors?: boolean;
  /** The store must already exist (commands that read or act on what a sync stored). */
  existingStore?: boolean;
  /**
   * Apply the configuration's pool definitions to the store (default true). A dry run passes
   * false: it plans against the stored pools and reports what the next sync would change.
   */
  syncPools?: boolean;
}

export async function openEngine(config: CallsignConfig, options: OpenEngineOptions) {
  const baseDir = dirname(config.file);
  const clock = options.clock ?? (() => new Date());
  const store = await openStore(storeUrl(config.store, baseDir), {
    log: options.log,
    mustExist: options.existingStore,
  });

  try {
    const key = loadVaultKey(config.secretKey, { baseDir, create: true });
    const vault = new Vault(store, key);
    const sources = new Map<string, SourceConnector>();
    const targets = new Map<string, TargetConnector>();
    const handlers = new Map<string, OperationHandler>();

    if (options.connectors !== false) {
      for (const source of config.sources) {
        sources.set(source.name, makeSource(source, baseDir, options.log, store));
      }
      for (const target of config.targets) {
        targets.set(target.name, makeTarget(target, baseDir, options.log));
      }
    }
    handlers.set('inventory', inventoryHandler({ store, clock, actor: options.actor }));
    for (const source of sources.values()) {
      if (source.capabilities.writeBack) {
        handlers.set(source.name, writeBackHandler({ store, source }));
      }
    }

    const definitions = config.pools.map(poolDefinition);
    let unsyncedPools: Engine['unsyncedPools'];
    if (options.syncPools === false) {
      const changes: PoolChange[] = [];
      for (const def of definitions) {
        const change = await store.previewPool(def);
        if (change) changes.push(change);
      }
      unsyncedPools = { definitions, changes };
    } else {
      for (const def of definitions) await store.syncPool(def);
    }

    const close = async () => {
      for (const c of [...sources.values(), ...targets.values()]) {
        await c.close().catch(() => undefined);
      }
      await store.close();
    };
    const log = options.log;
    const engine: Engine = { config, store, sources, targets, handlers, vault, log, clock, close };
    if (unsyncedPools) engine.unsyncedPools = unsyncedPools;
    return engine;
  } catch (err) {
    await store.close();
    throw err;
  }
}

/** `sqlite:PATH` is relative to the configuration file's folder. */
export function storeUrl(url: string, baseDir: string): string {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return url;
  const path = url.startsWith('sqlite:') ? url.slice(7) : url;
  if (path === ':memory:') return 'sqlite::memory:';
  return `sqlite:${isAbsolute(path) ? path : resolve(baseDir, path)}`;
}

function makeSource(
  config: SourceConfig,
  baseDir: string,
  log: Logger,
  store: Store,
): SourceConnector {
  // A SCIM source reads the SCIM service's tables in the engine's own store.
  if (config.type === 'scim') return new ScimSource(config, scimStoreOf(store));
  if (config.type === 'hr-file') {
    const path = isAbsolute(config.path) ? config.path : resolve(baseDir, config.path);
    const hrLog = log.child({ connector: config.name });
    if (config.workday === undefined) return new HrFileSource({ ...config, path }, { log: hrLog });
    const workdayPassword = secretFor(
      { name: `${config.name}.workday`, password: config.workday.password },
      baseDir,
    );
    return new HrFileSource({ ...config, path }, { log: hrLog, workdayPassword });
  }
  if (config.type === 'hr-push') return new HrPushSource(config, store);
  if (config.type === 'hr-https') {
    const hrLog = log.child({ connector: config.name });
    return new HrHttpsSource(config, { password: secretFor(config, baseDir), log: hrLog });
  }
  if (config.type === 'workday') return new WorkdaySource(config, hrApi(config, baseDir, log));
  if (config.type === 'successfactors') {
    return new SuccessFactorsSource(config, hrApi(config, baseDir, log));
  }
  if (config.type === 'servicenow') {
    const ref = 'token' in config.auth ? config.auth.token : config.auth.password;
    const secret = secretFor({ name: config.name, password: ref }, baseDir);
    const snLog = log.child({ connector: config.name });
    return new ServiceNowSource(config, { secret, state: store, log: snLog });
  }
  const password = secretFor(config, baseDir);
  return new LdapSource(config, { password, log: log.child({ connector: config.name }) });
}

function makeTarget(config: TargetConfig, baseDir: string, log: Logger): TargetConnector {
  if (config.type === 'null') {
    return new NullTarget({ name: config.name, concurrency: config.concurrency, remembers: false });
  }
  if (config.type === 'cuc') {
    const password = secretFor(config, baseDir, 'targets');
    return new CucTarget(config, { password, log: log.child({ connector: config.name }) });
  }
  if (config.type === 'webex') {
    const token = secretFor({ name: config.name, password: config.token }, baseDir, 'targets');
    return new WebexTarget(config, { token, log: log.child({ connector: config.name }) });
  }
  if (config.type === 'uccx' || config.type === 'ucce') {
    const password = secretFor(config, baseDir, 'targets');
    const options = { password, log: log.child({ connector: config.name }) };
    return config.type === 'uccx'
      ? new UccxTarget(config, options)
      : new UcceTarget(config, options);
  }
  if (config.type === 'cucm') {
    const password = secretFor(config, baseDir, 'targets');
    return new CucmTarget(config, { password, log: log.child({ connector: config.name }) });
  }
  const database = isAbsolute(config.database)
    ? config.database
    : resolve(baseDir, config.database);
  return new KamailioTarget(
    { ...config, database },
    { log: log.child({ connector: config.name }) },
  );
}

export { poolDefinition } from '../core/pools.ts';

/** The resolved secret and a logger of a Workday or SuccessFactors source. */
function hrApi(
  config: WorkdaySourceConfig | SuccessFactorsSourceConfig,
  baseDir: string,
  log: Logger,
) {
  const ref = config.type === 'workday' ? config.password : secretRefOf(config.auth);
  const secret = secretFor({ name: config.name, password: ref }, baseDir);
  return { secret, log: log.child({ connector: config.name }) };
}

/** Resolves a source's password, naming the configuration field when it cannot. */
function secretFor(
  config: { name: string; password: string },
  baseDir: string,
  section: 'sources' | 'targets' = 'sources',
): string {
  try {
    return resolveSecret(config.password, baseDir);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new CallsignError('config', `${section}.${config.name}.password: ${reason}`);
  }
}
