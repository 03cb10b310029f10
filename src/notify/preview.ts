/**
 * `callsign notify preview`: a template rendered with a real person's values and sample values
 * for what only an event knows (the failed operation, the pool's counts). A secret is never
 * shown: the preview puts a mask where it will go.
 */
import type { NotifyEvent } from '../core/config-notify.ts';
import { CallsignError, ErrorCode } from '../core/errors.ts';
import type { Engine } from '../engine/engine.ts';
import { personVars } from './feed.ts';
import type { MessageVars } from './outbox.ts';
import { renderMessage, type RenderedMessage } from './render.ts';

export interface PreviewOptions {
  template: string;
  /** A person id or a correlation value (`E1001`, `ada@example.com`); not for pool-low. */
  person?: string;
  /** The event to render for; default the first rule's that uses the template. */
  event?: NotifyEvent;
}

/** Renders the template as its rule would send it; throws with what is missing. */
export async function previewTemplate(engine: Engine, o: PreviewOptions) {
  const config = engine.config.notifications;
  if (config === undefined) {
    throw new CallsignError(ErrorCode.Config, 'No notifications: section in the configuration');
  }
  const template = config.templates[o.template];
  if (template === undefined) {
    const known = Object.keys(config.templates).join(', ') || 'none';
    throw new CallsignError(
      ErrorCode.NotFound,
      `Template '${o.template}' is not defined; known: ${known}`,
    );
  }
  const event = o.event ?? config.rules.find((r) => r.template === o.template)?.on ?? 'provisioned';
  const at = engine.clock().toISOString();
  let vars: MessageVars = { event: { type: event, at, runId: 'preview' } };
  if (event !== 'pool-low') {
    if (o.person === undefined) {
      throw new CallsignError(ErrorCode.Config, `--person: a ${event} template needs a person`);
    }
    const person = await findPerson(engine, o.person);
    vars = await personVars(engine.store, person, { type: event, runId: 'preview', at });
  }
  Object.assign(vars, samples(vars));
  return { event, ...renderMessage(o.template, template, vars) } satisfies RenderedMessage & {
    event: NotifyEvent;
  };
}

async function findPerson(engine: Engine, ref: string) {
  const byId = await engine.store.getPerson(ref);
  if (byId !== undefined) return byId;
  const found = new Map<string, Awaited<ReturnType<Engine['store']['getPerson']>>>();
  for (const key of engine.config.correlation) {
    for (const p of await engine.store.findPeopleByKey(key, ref)) found.set(p.id, p);
  }
  if (found.size === 1) return [...found.values()][0]!;
  throw new CallsignError(
    found.size === 0 ? ErrorCode.NotFound : ErrorCode.Ambiguous,
    found.size === 0
      ? `Person '${ref}' is not known (by id or ${engine.config.correlation.join(', ')})`
      : `Person '${ref}' matches ${found.size} people; give the id`,
    { details: { person: ref } },
  );
}

function samples(vars: MessageVars): MessageVars {
  const event = vars.event ?? {};
  return {
    event: { resources: 'pbx/sip-subscriber/2001', ...event },
    operation: {
      id: 'preview-op',
      action: 'create',
      target: 'pbx',
      type: 'sip-subscriber',
      key: '2001',
    },
    error: { code: 'rejected', message: 'sample error message' },
    secret: { value: '********', resource: 'pbx/sip-subscriber/2001' },
    pool: { name: 'nyc-ext', kind: 'extension', free: '3', total: '1000', below: '10' },
  };
}
