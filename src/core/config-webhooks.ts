/**
 * The `webhooks:` section: receivers of signed event notifications. The signing secret must be a
 * reference (env:NAME or file:PATH); an inline value is reported without being repeated.
 */
import { isWebhookEventType, WEBHOOK_EVENT_TYPES } from '../webhooks/event-types.ts';
import type { ConfigReader, MapView } from './config-reader.ts';
import type { WebhookConfig } from './config-types.ts';
import { anchorSecretRef, secretRefKind } from './secrets.ts';

const WEBHOOK_KEYS = ['name', 'url', 'secret', 'events', 'timeoutMs', 'maxAttempts'] as const;

/** Defaults of a webhook's optional fields. */
export const WEBHOOK_DEFAULTS = { timeoutMs: 10_000, maxAttempts: 8 } as const;

/** Reads `webhooks:` (absent: none); problems go to the reader with their line. */
export function readWebhooks(reader: ConfigReader, top: MapView, baseDir: string) {
  const items = reader.list(top.value('webhooks'), 'webhooks', top.keyLine('webhooks'));
  const names = new Map<string, number>();
  const out: WebhookConfig[] = [];

  for (const item of items) {
    const view = reader.map(item.node, item.path, item.line, WEBHOOK_KEYS);
    if (view === undefined) continue;
    const webhook = readWebhook(view, baseDir);
    if (webhook === undefined) continue;

    const first = names.get(webhook.name);
    if (first !== undefined) {
      view.problem('name', `webhook '${webhook.name}' is already defined at line ${first}`);
      continue;
    }
    names.set(webhook.name, view.keyLine('name'));
    out.push(webhook);
  }
  return out;
}

function readWebhook(view: MapView, baseDir: string): WebhookConfig | undefined {
  const name = view.str('name', { required: true });
  const url = view.str('url', { required: true });
  const secret = view.str('secret', { required: true });
  const events = view.strings('events');
  const timeoutMs = view.num('timeoutMs', {
    default: WEBHOOK_DEFAULTS.timeoutMs,
    min: 100,
    max: 120_000,
    integer: true,
  });
  const maxAttempts = view.num('maxAttempts', {
    default: WEBHOOK_DEFAULTS.maxAttempts,
    min: 1,
    max: 100,
    integer: true,
  });

  if (name !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) {
    view.problem('name', `'${name}' must be letters, digits, '.', '_' or '-' (at most 64)`);
  }
  if (url !== undefined && !isHttpUrl(url)) {
    view.problem('url', 'must be an http:// or https:// URL');
  }
  if (secret !== undefined && secretRefKind(secret) === undefined) {
    view.problem('secret', 'inline secrets are not allowed; use env:NAME or file:PATH');
  }
  for (const type of events) {
    if (!isWebhookEventType(type)) {
      const known = WEBHOOK_EVENT_TYPES.join(', ');
      view.problem('events', `'${type}' is not an event type; known: ${known}`);
    }
  }
  if (name === undefined || url === undefined || secret === undefined) return undefined;

  const anchored = anchorSecretRef(secret, baseDir);
  return { name, url, secret: anchored, events: [...new Set(events)], timeoutMs, maxAttempts };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}
