/**
 * What the Active Directory change readers (usn, dirsync) share: the DC's state from its root
 * DSE, paged searches with objectGUID as bytes, and the class filter for people.
 */
import type { Client, Control } from 'ldapts';

import type { DeltaReaderContext } from './delta.ts';
import type { RawEntry } from './entry-mapper.ts';
import { guidToString } from './guid.ts';

/** What the root DSE and the DC's NTDS Settings say about this DC and domain. */
export interface DomainState {
  highestUsn: number;
  /** Canonical GUID of the DC's database instance; changes on another DC or a restore. */
  invocationId: string;
  /** defaultNamingContext: the domain partition root (DirSync's required base). */
  namingContext: string;
}

export async function readDomainState(client: Client): Promise<DomainState> {
  const { searchEntries } = await client.search('', {
    scope: 'base',
    filter: '(objectClass=*)',
    attributes: ['highestCommittedUSN', 'defaultNamingContext', 'dsServiceName'],
  });
  const dse = searchEntries[0];
  const highestUsn = Number(first(dse?.highestCommittedUSN));
  const namingContext = first(dse?.defaultNamingContext);
  const service = first(dse?.dsServiceName);
  if (!Number.isSafeInteger(highestUsn) || namingContext === '' || service === '') {
    throw new Error('root DSE lacks highestCommittedUSN, defaultNamingContext or dsServiceName');
  }

  const settings = await client.search(service, {
    scope: 'base',
    filter: '(objectClass=*)',
    attributes: ['invocationId'],
    explicitBufferAttributes: ['invocationId'],
  });
  const raw = settings.searchEntries[0]?.invocationId;
  const invocationId = Buffer.isBuffer(raw) ? guidToString(raw) : undefined;
  if (invocationId === undefined) throw new Error(`'${service}' has no readable invocationId`);
  return { highestUsn, invocationId, namingContext };
}

/** Canonical objectGUID of an entry read with objectGUID as a buffer ('' when absent). */
export function entryGuid(entry: RawEntry): string {
  const raw = Object.entries(entry).find(([name]) => name.toLowerCase() === 'objectguid')?.[1];
  const bytes = Array.isArray(raw) ? raw[0] : raw;
  return Buffer.isBuffer(bytes) ? (guidToString(bytes) ?? '') : '';
}

/** Every entry of a paged search, objectGUID as bytes. */
export async function searchAll(
  context: DeltaReaderContext,
  query: { base: string; filter: string; attributes: string[]; controls?: Control[] },
): Promise<RawEntry[]> {
  const entries: RawEntry[] = [];
  const pager = context.client.searchPaginated(
    query.base,
    {
      scope: 'sub',
      filter: query.filter,
      attributes: query.attributes,
      explicitBufferAttributes: ['objectGUID'],
      paged: { pageSize: context.config.pageSize },
    },
    query.controls,
  );
  for await (const page of pager) {
    context.signal?.throwIfAborted();
    entries.push(...(page.searchEntries as RawEntry[]));
  }
  return entries;
}

/**
 * People-like objects (users and contacts, not computers). Tombstones keep objectClass, so this
 * still matches deleted people, while groups and computers stay out of the change reports.
 */
export const PEOPLE = '(|(objectClass=user)(objectClass=contact))(!(objectClass=computer))';

function first(value: unknown): string {
  const one = Array.isArray(value) ? value[0] : value;
  return one === undefined ? '' : String(one);
}
