/**
 * Loads and validates `callsign.yaml`. Every problem is collected with file, line and field
 * (`callsign.yaml:23: pools.nyc-ext.range: end 1999 is before start 2000`) and all of them are
 * thrown together as one CallsignError('config'), whose `details.errors` lists them as data.
 * Secrets stay references; relative paths are made absolute against the file's folder.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { CallsignError, ErrorCode } from './errors.ts';
import { ConfigReader, type MapView } from './config-reader.ts';
import { readApi } from './config-api.ts';
import { readPools } from './config-pools.ts';
import { readProfiles, readRules } from './config-rules.ts';
import { readSources, readTargets } from './config-systems.ts';
import { readWebhooks } from './config-webhooks.ts';
import { readNotifications } from './config-notify.ts';
import type { CallsignConfig, EngineConfig, SafetyConfig } from './config-types.ts';
import { anchorSecretRef } from './secrets.ts';

export { exampleConfig } from './config-example.ts';
export type { ConfigProblem } from './config-reader.ts';

/** Reads and validates a configuration file. */
export function loadConfig(path: string): CallsignConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new CallsignError(ErrorCode.Config, `Cannot read configuration ${path} (${code})`, {
      cause: err,
      details: { file: path },
    });
  }
  return parseConfig(text, path);
}

const TOP_KEYS = [
  'store',
  'secretKey',
  'correlation',
  'sources',
  'targets',
  'pools',
  'profiles',
  'rules',
  'safety',
  'engine',
  'api',
  'webhooks',
  'notifications',
] as const;

/** Validates configuration text; `file` names it in messages and anchors relative paths. */
export function parseConfig(text: string, file: string): CallsignConfig {
  const reader = new ConfigReader(file, text);
  const baseDir = dirname(resolve(file));
  const top =
    reader.doc.contents === null
      ? reader.map(undefined, '', 1, TOP_KEYS)
      : reader.map(reader.doc.contents, '', 1, TOP_KEYS);
  if (top === undefined || reader.problems.some((p) => p.path === '(syntax)')) throw fail(reader);

  // Sources and targets share one namespace: write-back operations target a source by name.
  const names = new Map<string, number>();
  const sources = readSources({ reader, top, baseDir, names });
  const targets = readTargets({ reader, top, baseDir, names });
  const attributes = new Set(sources.flatMap((s) => Object.keys(s.attributes)));
  // Group names are an attribute too, filled by the source rather than mapped.
  for (const s of sources) if (s.type === 'ldap' && s.groups) attributes.add(s.groups.attribute);
  const { pools, declared } = readPools(reader, top.map('pools'));
  const ctx = { reader, attributes, targets, pools: declared };
  const profiles = readProfiles(ctx, top.map('profiles'));
  const rules = readRules(ctx, top, profiles);

  const correlation = top.strings('correlation');
  for (const key of correlation) {
    if (!attributes.has(key)) {
      top.problem('correlation', `${key} is not an attribute any source maps`);
    }
  }
  const webhooks = readWebhooks(reader, top, baseDir);
  const config: CallsignConfig = {
    file: resolve(file),
    store: readStore(top, baseDir),
    secretKey: readSecretKey(top, baseDir),
    correlation,
    sources,
    targets,
    pools,
    profiles: profiles.profiles,
    rules,
    safety: readSafety(top),
    engine: readEngine(top),
    api: readApi(top, baseDir),
    webhooks,
    notifications: readNotifications(reader, top, {
      baseDir,
      attributes,
      webhooks: webhooks.map((w) => w.name),
      numberKinds: new Set(rules.flatMap((r) => Object.keys(r.numbers))),
    }),
  };
  if (reader.problems.length > 0) throw fail(reader);
  return config;
}

function readStore(top: MapView, baseDir: string): string {
  const store = top.str('store') ?? 'sqlite:./callsign.db';
  if (/^postgres(ql)?:\/\//.test(store)) return store;
  if (!store.startsWith('sqlite:') || store.length === 7) {
    top.problem('store', 'must be sqlite:PATH or postgres://…');
    return store;
  }
  const path = store.slice(7);
  return path === ':memory:' || isAbsolute(path) ? store : `sqlite:${resolve(baseDir, path)}`;
}

function readSecretKey(top: MapView, baseDir: string): string {
  const ref = top.str('secretKey') ?? 'file:./.callsign/secret.key';
  if (!/^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$/.test(ref)) {
    top.problem('secretKey', 'inline secrets are not allowed; use env:NAME or file:PATH');
  }
  return anchorSecretRef(ref, baseDir);
}

function readSafety(top: MapView): SafetyConfig {
  const view = top.map('safety', ['maxDeprovisionShare', 'maxDeprovisionCount']);
  return {
    maxDeprovisionShare: view?.num('maxDeprovisionShare', { default: 0.1, min: 0, max: 1 }) ?? 0.1,
    maxDeprovisionCount:
      view?.num('maxDeprovisionCount', { default: 25, min: 0, integer: true }) ?? 25,
  };
}

function readEngine(top: MapView): EngineConfig {
  const keys = [
    'pollIntervalSeconds',
    'leaseSeconds',
    'maxAttempts',
    'backoffBaseMs',
    'backoffMaxMs',
  ];
  const view = top.map('engine', keys);
  const int = (key: string, fallback: number, min: number) =>
    view?.num(key, { default: fallback, min, integer: true }) ?? fallback;
  const engine = {
    pollIntervalSeconds: int('pollIntervalSeconds', 30, 1),
    leaseSeconds: int('leaseSeconds', 60, 5),
    maxAttempts: int('maxAttempts', 6, 1),
    backoffBaseMs: int('backoffBaseMs', 500, 0),
    backoffMaxMs: int('backoffMaxMs', 60000, 0),
  };
  if (view !== undefined && engine.backoffMaxMs < engine.backoffBaseMs) {
    view.problem('backoffMaxMs', `${engine.backoffMaxMs} is below backoffBaseMs`);
  }
  return engine;
}

function fail(reader: ConfigReader): CallsignError {
  const errors = [...reader.problems].sort((a, b) => a.line - b.line);
  const lines = errors.map((e) => `${e.file}:${e.line}: ${e.path}: ${e.message}`);
  const count = errors.length === 1 ? '1 error' : `${errors.length} errors`;
  const message = `Invalid configuration (${count}):\n${lines.join('\n')}`;
  return new CallsignError(ErrorCode.Config, message, { details: { file: reader.file, errors } });
}
