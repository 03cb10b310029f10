/**
 * The `notifications:` section: mail to the person, their manager, the telecom team or a list,
 * per event. Templates are compiled at load, and a template that reads a variable its events do
 * not offer (`{{pool.free}}` in a `provisioned` rule, `{{person.nickname}}` no source maps) is a
 * configuration error here rather than an empty line in someone's mailbox.
 */
import { isAbsolute, resolve } from 'node:path';

import type { ConfigReader, MapView } from './config-reader.ts';
import type { SecretRef } from './config-types.ts';
import { anchorSecretRef, secretRefKind } from './secrets.ts';
import { compileTemplate, type CompiledTemplate } from './template.ts';

/** Events a rule can name. `credentials`: a new SIP secret to hand to its owner. */
export const NOTIFY_EVENTS = [
  'provisioned',
  'failed',
  'deprovisioned',
  'pool-low',
  'credentials',
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** `person`, `manager`, `team`, or a mail address (a distribution list). */
export type NotifyRecipient = 'person' | 'manager' | 'team' | `${string}@${string}`;

export interface SmtpConfig {
  host: string;
  port: number;
  /** `tls`: TLS from the first byte (465); `starttls`: upgrade required (587); `none`: loopback. */
  security: 'tls' | 'starttls' | 'none';
  user?: string;
  password?: SecretRef;
  from: string;
  /** PEM file of the CA that signed the server's certificate (absolute after loading). */
  tlsCa?: string;
  timeoutMs: number;
}

export interface NotifyTemplateConfig {
  subject: string;
  text: string;
}

export interface NotifyRule {
  on: NotifyEvent;
  /** Mail recipients; may be empty when the rule has webhooks. */
  to: NotifyRecipient[];
  /**
   * Names of configured webhooks (the `webhooks:` section) that get the rendered message as a
   * signed `notify.<event>` delivery, through the webhook outbox.
   */
  webhooks?: string[];
  template: string;
  /** `pool-low` only: announce when fewer numbers than this are free. */
  below?: number;
}

export interface NotificationsConfig {
  smtp: SmtpConfig;
  team?: string;
  templates: Record<string, NotifyTemplateConfig>;
  rules: NotifyRule[];
  /** The person attribute holding a mail address; default `mail`. */
  mailAttribute: string;
  /** The person attribute naming their manager (an id, correlation value or DN). */
  managerAttribute: string;
  /** Attempts per message before it fails for good; default 8. */
  maxAttempts: number;
}

/** Variables each event offers besides `person.<mapped attribute>`. */
export const NOTIFY_VARIABLES: Record<NotifyEvent, Record<string, readonly string[]>> = {
  provisioned: {
    event: ['type', 'at', 'runId', 'personId', 'label', 'resources'],
    numbers: ['extension', 'did'],
  },
  // The numbers are back in their pools by then: the resources say what was removed.
  deprovisioned: { event: ['type', 'at', 'runId', 'personId', 'label', 'resources'] },
  failed: {
    event: ['type', 'at', 'runId', 'personId', 'label'],
    operation: ['id', 'action', 'target', 'type', 'key'],
    error: ['code', 'message'],
  },
  credentials: {
    event: ['type', 'at', 'runId', 'personId', 'label'],
    secret: ['value', 'resource'],
    numbers: ['extension', 'did'],
  },
  'pool-low': { event: ['type', 'at'], pool: ['name', 'kind', 'free', 'total', 'below'] },
};

export const NOTIFY_DEFAULTS = {
  mailAttribute: 'mail',
  managerAttribute: 'manager',
  maxAttempts: 8,
  timeoutMs: 15_000,
  poolLowBelow: 10,
} as const;

const KEYS = [
  'smtp',
  'team',
  'templates',
  'rules',
  'mailAttribute',
  'managerAttribute',
  'maxAttempts',
] as const;
const SMTP_KEYS = [
  'host',
  'port',
  'secure',
  'starttls',
  'user',
  'password',
  'from',
  'tlsCa',
  'timeoutMs',
] as const;
const MAIL = /^[^\s@<>"]+@[^\s@<>"]+$/;

/**
 * Reads `notifications:` (absent: undefined). `attributes` are the person attributes sources
 * map: the only `person.x` a template may read.
 */
export function readNotifications(
  reader: ConfigReader,
  top: MapView,
  ctx: {
    baseDir: string;
    attributes: ReadonlySet<string>;
    webhooks?: readonly string[];
    /** Number kinds some rule gives (`numbers: { did: ... }`); absent: not checked. */
    numberKinds?: ReadonlySet<string>;
  },
): NotificationsConfig | undefined {
  const view = top.map('notifications', KEYS);
  if (view === undefined) return undefined;

  const smtp = readSmtp(view.map('smtp', SMTP_KEYS, true), ctx.baseDir);
  const team = view.str('team');
  if (team !== undefined && !MAIL.test(team)) view.problem('team', 'must be a mail address');
  const compiled = readTemplates(reader, view);
  const rules = readRulesList(reader, view, {
    compiled,
    attributes: ctx.attributes,
    team,
    webhooks: ctx.webhooks ?? [],
    numberKinds: ctx.numberKinds,
  });
  if (smtp === undefined) return undefined;

  return {
    smtp,
    team,
    rules,
    templates: Object.fromEntries([...compiled].map(([name, t]) => [name, t.config])),
    mailAttribute: view.str('mailAttribute') ?? NOTIFY_DEFAULTS.mailAttribute,
    managerAttribute: view.str('managerAttribute') ?? NOTIFY_DEFAULTS.managerAttribute,
    maxAttempts: view.num('maxAttempts', {
      default: NOTIFY_DEFAULTS.maxAttempts,
      min: 1,
      max: 100,
      integer: true,
    }),
  };
}

/** Compiles a notification template's two parts; throws CallsignError(config). */
export function compileNotifyTemplate(t: NotifyTemplateConfig) {
  return { subject: compileTemplate(t.subject), text: compileTemplate(t.text) };
}

function readSmtp(view: MapView | undefined, baseDir: string): SmtpConfig | undefined {
  if (view === undefined) return undefined;
  const host = view.str('host', { required: true });
  const from = view.str('from', { required: true });
  const secure = view.bool('secure', false);
  const starttls = view.bool('starttls', !secure);
  const user = view.str('user');
  const password = view.str('password');
  const tlsCa = view.str('tlsCa');
  const security = secure ? 'tls' : starttls ? 'starttls' : 'none';
  const port = view.num('port', {
    default: security === 'tls' ? 465 : 587,
    min: 1,
    max: 65535,
    integer: true,
  });

  if (secure && view.has('starttls') && starttls) {
    view.problem('starttls', 'secure (TLS from the start) and starttls exclude each other');
  }
  // Credentials and secrets go over this connection: plain text only to a relay on this host.
  if (security === 'none' && host !== undefined && !isLoopback(host)) {
    view.problem('starttls', `plain SMTP to ${host} is not allowed; set starttls or secure`);
  }
  if (password !== undefined && secretRefKind(password) === undefined) {
    view.problem('password', 'inline secrets are not allowed; use env:NAME or file:PATH');
  }
  if ((user === undefined) !== (password === undefined)) {
    view.problem(user === undefined ? 'user' : 'password', 'user and password go together');
  }
  if (from !== undefined && !MAIL.test(from.replace(/^.*<(.*)>\s*$/, '$1'))) {
    view.problem('from', 'must be a mail address, optionally as "Name <address>"');
  }
  if (host === undefined || from === undefined) return undefined;
  return {
    host,
    port,
    security,
    from,
    ...(user === undefined ? {} : { user }),
    ...(password === undefined ? {} : { password: anchorSecretRef(password, baseDir) }),
    ...(tlsCa === undefined ? {} : { tlsCa: isAbsolute(tlsCa) ? tlsCa : resolve(baseDir, tlsCa) }),
    timeoutMs: view.num('timeoutMs', {
      default: NOTIFY_DEFAULTS.timeoutMs,
      min: 100,
      max: 300_000,
      integer: true,
    }),
  };
}

interface LoadedTemplate {
  config: NotifyTemplateConfig;
  parts: CompiledTemplate[];
  line: number;
}

function readTemplates(reader: ConfigReader, view: MapView): Map<string, LoadedTemplate> {
  const out = new Map<string, LoadedTemplate>();
  const templates = view.map('templates');
  for (const name of templates?.entries.keys() ?? []) {
    const t = templates!.map(name, ['subject', 'text']);
    if (t === undefined) continue;
    const subject = t.str('subject', { required: true });
    const text = t.str('text', { required: true });
    if (subject === undefined || text === undefined) continue;
    if (/[\r\n]/.test(subject)) t.problem('subject', 'must be one line');

    const parts: CompiledTemplate[] = [];
    for (const [key, source] of [
      ['subject', subject],
      ['text', text],
    ] as const) {
      try {
        parts.push(compileTemplate(source));
      } catch (err) {
        reader.add(t.keyLine(key), t.pathOf(key), err instanceof Error ? err.message : '?');
      }
    }
    if (parts.length === 2) out.set(name, { config: { subject, text }, parts, line: t.line });
  }
  return out;
}

function readRulesList(
  reader: ConfigReader,
  view: MapView,
  ctx: {
    compiled: Map<string, LoadedTemplate>;
    attributes: ReadonlySet<string>;
    team?: string;
    webhooks: readonly string[];
    numberKinds?: ReadonlySet<string>;
  },
): NotifyRule[] {
  const out: NotifyRule[] = [];
  const items = reader.list(view.value('rules'), view.pathOf('rules'), view.keyLine('rules'));
  for (const item of items) {
    const r = reader.map(item.node, item.path, item.line, [
      'on',
      'to',
      'webhooks',
      'template',
      'below',
    ]);
    if (r === undefined) continue;
    const on = r.str('on', { required: true });
    const to = r.strings('to');
    const template = r.str('template', { required: true });
    if (on !== undefined && !(NOTIFY_EVENTS as readonly string[]).includes(on)) {
      r.problem('on', `'${on}' is not an event; known: ${NOTIFY_EVENTS.join(', ')}`);
      continue;
    }
    if (on === undefined || template === undefined) continue;
    const event = on as NotifyEvent;

    const hooks = r.strings('webhooks');
    if (to.length === 0 && hooks.length === 0) {
      r.problem('to', 'is required: person, manager, team or an address (or name webhooks)');
    }
    for (const who of to) recipientProblem(r, event, who, ctx.team);
    webhookProblems(r, event, hooks, ctx.webhooks);
    if (r.has('below') && event !== 'pool-low') r.problem('below', 'is for pool-low rules');
    const loaded = ctx.compiled.get(template);
    if (loaded === undefined) {
      r.problem('template', `template '${template}' is not defined in notifications.templates`);
    } else {
      variableProblems(r, event, loaded.parts, ctx);
    }
    const below =
      event === 'pool-low'
        ? r.num('below', { default: NOTIFY_DEFAULTS.poolLowBelow, min: 1, integer: true })
        : undefined;
    out.push({
      on: event,
      to: to as NotifyRecipient[],
      template,
      ...(hooks.length === 0 ? {} : { webhooks: hooks }),
      ...(below === undefined ? {} : { below }),
    });
  }
  return out;
}

function webhookProblems(
  r: MapView,
  event: NotifyEvent,
  hooks: string[],
  known: readonly string[],
) {
  if (hooks.length === 0) return;
  // A webhook body is stored in the outbox and seen by another system: never a secret.
  if (event === 'credentials') {
    r.problem('webhooks', 'credentials go to the person by mail only, never to a webhook');
    return;
  }
  for (const name of hooks) {
    if (!known.includes(name)) r.problem('webhooks', `webhook '${name}' is not in webhooks:`);
  }
}

function recipientProblem(r: MapView, event: NotifyEvent, who: string, team?: string) {
  if (who === 'person' || who === 'manager') {
    if (event === 'pool-low') r.problem('to', `a pool-low event has no ${who}`);
    return;
  }
  if (event === 'credentials') {
    // A secret goes to its owner and nobody else.
    r.problem('to', `credentials go to the person only, not to ${who}`);
    return;
  }
  if (who === 'team') {
    if (team === undefined) r.problem('to', 'team is named but notifications.team is not set');
    return;
  }
  if (!MAIL.test(who)) r.problem('to', `'${who}' is not person, manager, team or an address`);
}

function variableProblems(
  r: MapView,
  event: NotifyEvent,
  parts: CompiledTemplate[],
  ctx: { attributes: ReadonlySet<string>; numberKinds?: ReadonlySet<string> },
) {
  const offered = NOTIFY_VARIABLES[event];
  for (const ref of parts.flatMap((p) => p.refs)) {
    const name = `${ref.root}.${ref.name}`;
    if (ref.root === 'person' && event !== 'pool-low') {
      if (!ctx.attributes.has(ref.name)) {
        r.problem('template', `${name}: no source maps the attribute ${ref.name}`);
      }
      continue;
    }
    if (!Object.hasOwn(offered, ref.root) || !offered[ref.root].includes(ref.name)) {
      r.problem('template', `${name} is not a variable of ${event} events`);
      continue;
    }
    // As for profiles: a number nobody is given could never show, so it is a mistake here.
    if (ref.root === 'numbers' && ctx.numberKinds?.has(ref.name) === false) {
      r.problem('template', `${name} is used, but no rule sets a ${ref.name} pool`);
    }
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
