/**
 * Turns a rule's recipient (`person`, `manager`, `team`, an address) into a mail address. A
 * manager is found the way the directory names them: the `manager` attribute holds a person's
 * id, one of their correlation values (an employee id) or their entry's DN, and that person's
 * own mail attribute is used. Whoever cannot be found is skipped with a note, not guessed.
 */
import type { NotificationsConfig } from '../core/config-notify.ts';
import type { AttrValue, Person } from '../core/model.ts';
import type { Store } from '../store/types.ts';

/** An address, or why there is none. */
export type Resolved = { address: string } | { skip: string };

export interface RecipientContext {
  store: Store;
  config: Pick<NotificationsConfig, 'team' | 'mailAttribute' | 'managerAttribute'>;
  /** Correlation keys of the configuration: values a manager attribute may hold. */
  correlation: readonly string[];
}

/** Resolves one recipient for an event about `person` (absent for pool events). */
export async function resolveRecipient(
  who: string,
  person: Person | undefined,
  ctx: RecipientContext,
): Promise<Resolved> {
  if (who === 'team') {
    return ctx.config.team === undefined
      ? { skip: 'notifications.team is not set' }
      : { address: ctx.config.team };
  }
  if (who !== 'person' && who !== 'manager') return { address: who };
  if (person === undefined) return { skip: `a ${who} needs an event about a person` };

  if (who === 'person') return mailOf(person, ctx, 'the person');
  const ref = text(person.attributes[ctx.config.managerAttribute]);
  if (ref === undefined) {
    return { skip: `person ${person.id} has no ${ctx.config.managerAttribute} attribute` };
  }
  const managers = await findManager(ref, ctx);
  if (managers.length === 0) return { skip: `manager '${ref}' of ${person.id} is not known` };
  if (managers.length > 1) {
    return { skip: `manager '${ref}' of ${person.id} matches ${managers.length} people` };
  }
  return mailOf(managers[0], ctx, `manager ${managers[0].id}`);
}

/** The person's mail address, when the attribute holds one. */
export function mailAddress(person: Person, mailAttribute: string): string | undefined {
  const mail = text(person.attributes[mailAttribute]);
  return mail !== undefined && /^[^\s@<>"]+@[^\s@<>"]+$/.test(mail) ? mail : undefined;
}

function mailOf(person: Person, ctx: RecipientContext, who: string): Resolved {
  const mail = mailAddress(person, ctx.config.mailAttribute);
  return mail === undefined
    ? { skip: `${who} (${person.id}) has no usable ${ctx.config.mailAttribute}` }
    : { address: mail };
}

async function findManager(ref: string, ctx: RecipientContext): Promise<Person[]> {
  const byId = await ctx.store.getPerson(ref);
  if (byId !== undefined) return [byId];

  const found = new Map<string, Person>();
  for (const key of ctx.correlation) {
    for (const p of await ctx.store.findPeopleByKey(key, ref)) found.set(p.id, p);
  }
  if (found.size > 0 || !ref.includes('=')) return [...found.values()];

  // A DN: compared without case and spaces after commas, as LDAP compares them.
  const dn = normalizeDn(ref);
  const people = await ctx.store.listPeople();
  return people.filter((p) => p.sourceLinks.some((l) => l.dn && normalizeDn(l.dn) === dn));
}

function normalizeDn(dn: string): string {
  return dn
    .split(',')
    .map((part) => part.trim().toLowerCase())
    .join(',');
}

function text(value: AttrValue | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  const first = Array.isArray(value) ? value[0] : String(value);
  return first === undefined || first === '' ? undefined : first;
}
