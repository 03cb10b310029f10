/**
 * Credentials by mail: when a `credentials` rule exists, a new SIP secret goes to its owner's
 * mail instead of the terminal. The outbox row holds the vault reference, never the secret; the
 * message is sent at once (the CLI prints "sent to <mail>"), and when the server cannot take it
 * now it stays queued for the dispatcher of `serve` or `run`. The vault marks the secret handed
 * out only when the server accepted the mail, so it leaves the vault once.
 */
import type { Engine } from '../engine/engine.ts';
import { secretRef } from '../engine/vault.ts';
import type { OperationRecord } from '../store/types.ts';
import { personVars } from './feed.ts';
import { notifierOf, type Notifier, type NotifierOptions } from './notify.ts';
import { mailAddress } from './recipients.ts';

/** Where a secret went instead of the terminal. */
export interface MailedCredential {
  address: string;
  /** `queued`: the server could not take it now; the dispatcher retries. */
  state: 'sent' | 'queued' | 'failed';
  reason?: string;
}

/**
 * Mails the secret of a done create operation to its owner. Undefined when no credentials rule
 * exists, the owner has no mail address, or the secret was handed out already: the caller then
 * hands it out as before.
 */
export async function mailCredential(
  engine: Engine,
  op: OperationRecord,
  options: NotifierOptions = {},
): Promise<MailedCredential | undefined> {
  const config = engine.config.notifications;
  if (config === undefined || !config.rules.some((r) => r.on === 'credentials')) return undefined;
  const person = await engine.store.getPerson(op.personId);
  const address = person === undefined ? undefined : mailAddress(person, config.mailAttribute);
  const ref = secretRef(op);
  const stored = await engine.store.getSecret(ref);
  if (address === undefined || stored === undefined || stored.deliveredAt !== undefined) {
    return undefined;
  }

  const notifier = cachedNotifier(engine, options)!;
  const base = await personVars(engine.store, person!, {
    type: 'credentials',
    runId: op.runId,
    at: engine.clock().toISOString(),
  });
  const resource = `${op.target}/${op.type}/${op.key}`;
  const ids = await notifier.feed.notify({
    event: 'credentials',
    key: `credentials:${op.id}`,
    person,
    vars: { ...base, secret: { resource } },
    secretRef: ref,
  });
  if (ids.length === 0) return { address, state: 'queued', reason: 'journaled earlier' };

  let state: MailedCredential['state'] = 'sent';
  let reason: string | undefined;
  for (const id of ids) {
    const message = await notifier.outbox.get(id);
    if (message === undefined) continue;
    const outcome =
      message.state === 'pending' ? await notifier.dispatcher.sendOne(message) : 'failed';
    if (outcome === 'sent') continue;
    state = outcome === 'failed' ? 'failed' : 'queued';
    reason = (await notifier.outbox.get(id))?.lastError;
  }
  // A mail that can never be made (a template fault): the owner still needs the secret.
  if (state === 'failed') return undefined;
  return { address, state, ...(reason === undefined ? {} : { reason }) };
}

const notifiers = new WeakMap<Engine, Notifier>();

function cachedNotifier(engine: Engine, options: NotifierOptions): Notifier | undefined {
  let notifier = notifiers.get(engine);
  if (notifier === undefined) {
    notifier = notifierOf(engine, options);
    if (notifier !== undefined) notifiers.set(engine, notifier);
  }
  return notifier;
}
