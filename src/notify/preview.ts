/**
 * `callsign notify preview`: a template rendered with a real person's values and sample values
 * for what only an event knows (the failed operation, the pool's counts). Resources are the
 * person's own linked ones; a credentials preview names the resource whose secret would be
 * mailed. A secret is never shown: the preview puts a mask where it will go.
 */
import type { NotifyEvent } from '../core/config-notify.ts';
import { CallsignError, ErrorCode } from '../core/errors.ts';
import type { Engine } from '../engine/engine.ts';
import { secretRef } from '../engine/vault.ts';
import { personVars } from './feed.ts';
import type { MessageVars } from './outbox.ts';
import { renderMessage, type RenderedMessage } from './render.ts';

/** Stands where a resource goes when the person has none. */
const NO_RESOURCE = '(no resource)';

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
    // A bad argument (exit 2), like an unknown --event: the operator mistyped a name.
    throw new CallsignError(
      ErrorCode.Config,
      `--template: '${o.template}' is not defined; known: ${known}`,
    );
  }
  const event = o.event ?? config.rules.find((r) => r.template === o.template)?.on ?? 'provisioned';
  const at = engine.clock().toISOString();
  let vars: MessageVars = { event: { type: event, at, runId: 'preview' } };
  const notes: string[] = [];
  let own: OwnResources = { all: [], withSecret: [] };
  if (event !== 'pool-low') {
    if (o.person === undefined) {
      throw new CallsignError(ErrorCode.Config, `--person: a ${event} template needs a person`);
    }
    const person = await findPerson(engine, o.person);
    vars = await personVars(engine.store, person, { type: event, runId: 'preview', at });
    own = await ownResources(engine, person.id);
    if (event === 'credentials') notes.push(...credentialNotes(person.id, own.withSecret));
  }
  Object.assign(vars, samples(vars, own));
  return {
    event,
    notes,
    ...renderMessage(o.template, template, vars),
  } satisfies RenderedMessage & { event: NotifyEvent; notes: string[] };
}

interface OwnResources {
  /** `target/type/key` of every resource linked to the person. */
  all: string[];
  /** Those of them whose secret the vault holds (what a credentials mail is sent for). */
  withSecret: string[];
}

async function ownResources(engine: Engine, personId: string): Promise<OwnResources> {
  const all: string[] = [];
  const withSecret: string[] = [];
  for (const link of await engine.store.listLinks(personId)) {
    const ref = secretRef(link);
    all.push(ref);
    if ((await engine.store.getSecret(ref)) !== undefined) withSecret.push(ref);
  }
  return { all, withSecret };
}

function credentialNotes(personId: string, withSecret: string[]): string[] {
  if (withSecret.length === 0) {
    return [
      `person ${personId} has no resource with a secret: no credentials mail would be sent; ` +
        'the text below shows the template only',
    ];
  }
  if (withSecret.length === 1) return [];
  return [
    `person ${personId} has ${withSecret.length} resources with a secret, one mail each: ` +
      `${withSecret.join(', ')}; shown for the first`,
  ];
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

/** Event values only a run knows; resources are the person's own where they have some. */
function samples(vars: MessageVars, own: OwnResources): MessageVars {
  const event = vars.event ?? {};
  const resources = own.all.length > 0 ? own.all.join(', ') : NO_RESOURCE;
  return {
    event: { resources, ...event },
    operation: {
      id: 'preview-op',
      action: 'create',
      target: 'pbx',
      type: 'sip-subscriber',
      key: '2001',
    },
    error: { code: 'rejected', message: 'sample error message' },
    // Never the real secret, even though the vault could give it.
    secret: { value: '********', resource: own.withSecret[0] ?? NO_RESOURCE },
    pool: { name: 'nyc-ext', kind: 'extension', free: '3', total: '1000', below: '10' },
  };
}
