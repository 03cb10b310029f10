import type { CallsignConfig, SecretFormat } from '../core/config-types.ts';
import { toCallsignError } from '../core/errors.ts';
import { labelOf } from '../core/planner.ts';
import type { OperationRecord } from '../store/types.ts';
import type { Engine } from './engine.ts';
import { secretRef } from './vault.ts';

export interface Credential {
  personId: string;
  label: string;
  resource: string;
  /** Empty when the secret went to `sentTo` by mail instead. */
  secret: string;
  /** The owner's mail address, when a `credentials` notification rule mailed the secret. */
  sentTo?: string;
  /** `queued`: the mail server could not take it yet; the notification dispatcher retries. */
  mail?: 'sent' | 'queued';
}

/**
 * How the secret of a resource is generated: the format its profile resource asks for (a PIN
 * of N digits), looked up by target and type (the configuration holds every profile to one
 * format per target and type); undefined means a password.
 */
export function secretFormatOf(
  config: Pick<CallsignConfig, 'profiles'>,
  resource: { target: string; type: string },
): SecretFormat | undefined {
  for (const profile of Object.values(config.profiles)) {
    for (const res of profile.resources) {
      if (res.target !== resource.target || res.type !== resource.type) continue;
      if (res.secretFormat !== undefined) return res.secretFormat;
    }
  }
  return undefined;
}

/** Secrets created by a run's done operations: mailed to their owner, or returned once. */
export async function handOutCredentials(engine: Engine, runId: string): Promise<Credential[]> {
  const out: Credential[] = [];
  const ops = await engine.store.listOperations({ runId, state: ['done'] });
  for (const op of ops) {
    if (!op.secret || op.action !== 'create') continue;
    const person = await engine.store.getPerson(op.personId);
    const mailed = await mailCredentialOf(engine, op);
    if (mailed !== undefined) {
      out.push({
        personId: op.personId,
        label: person ? labelOf(person) : op.personId,
        resource: `${op.target}/${op.type}/${op.key}`,
        secret: '',
        sentTo: mailed.address,
        mail: mailed.state === 'sent' ? 'sent' : 'queued',
      });
      continue;
    }
    const secret = await engine.vault.takeUndelivered(secretRef(op), engine.clock());
    if (secret === undefined) continue;
    out.push({
      personId: op.personId,
      label: person ? labelOf(person) : op.personId,
      resource: `${op.target}/${op.type}/${op.key}`,
      secret,
    });
  }
  return out;
}

/**
 * With a `credentials` notification rule, the secret goes to its owner's mail rather than to
 * the report (src/notify/credentials.ts); the module loads only then. A mail fault falls back
 * to the report: the owner must get the secret one way or the other.
 */
async function mailCredentialOf(engine: Engine, op: OperationRecord) {
  if (!engine.config.notifications?.rules.some((r) => r.on === 'credentials')) return undefined;
  try {
    const { mailCredential } = await import('../notify/credentials.ts');
    return await mailCredential(engine, op);
  } catch (err) {
    engine.log.warn(
      { operationId: op.id, err: toCallsignError(err).message },
      'credentials mail failed; shown in the report',
    );
    return undefined;
  }
}

/**
 * True when a profile gives resources a generated secret and no `credentials` notification rule
 * mails it: the secret then reaches nobody unless an administrator hands it out
 * (`callsign people credentials`). Joiners from SCIM, HR push and the poll loop under
 * `callsign serve` have no report that could show it.
 */
export function secretsReachNobody(config: Pick<CallsignConfig, 'profiles' | 'notifications'>) {
  const generates = Object.values(config.profiles).some((p) => p.resources.some((r) => r.secret));
  const mailed = config.notifications?.rules.some((r) => r.on === 'credentials') ?? false;
  return generates && !mailed;
}

/** Warns (log and one stderr line) at the start of a long-running command; see above. */
export function warnIfSecretsReachNobody(engine: Engine, err: (line: string) => void): void {
  if (!secretsReachNobody(engine.config)) return;
  engine.log.warn(
    { hint: 'callsign people credentials <person>' },
    'profiles generate secrets but no credentials notification rule mails them',
  );
  err(
    'callsign: warning: profiles generate secrets (SIP passwords) but no `credentials` ' +
      'notification rule mails them; hand each out once with ' +
      '`callsign people credentials <person>`',
  );
}

/**
 * The person's stored secrets not handed out yet, revealed this once and marked handed out;
 * each hand-out is audited (never the secret). Empty when there is none left to hand out.
 */
export async function takeCredentialsOf(
  engine: Engine,
  personId: string,
  actor: string,
): Promise<Credential[]> {
  const person = await engine.store.getPerson(personId);
  const out: Credential[] = [];
  for (const link of await engine.store.listLinks(personId)) {
    const resource = secretRef(link);
    const secret = await engine.vault.takeUndelivered(resource, engine.clock());
    if (secret === undefined) continue;
    await engine.store.audit({
      at: engine.clock().toISOString(),
      actor,
      personId,
      action: 'credentials.handed-out',
      subject: resource,
    });
    out.push({ personId, label: person ? labelOf(person) : personId, resource, secret });
  }
  return out;
}
