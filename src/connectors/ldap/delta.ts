/**
 * Change readers: each reads what changed in a directory since a cursor with one mechanism
 * (DirSync or uSNChanged on AD, RFC 4533 Content Sync on OpenLDAP, modifyTimestamp as the
 * fallback). The LDAP source picks one by configuration and server, maps the entries, and
 * turns deletions into `deleted` records. A reader that finds its cursor lost or refused says
 * so with `complete: false`; the engine then falls back to a full read behind the brake.
 */
import type { Client } from 'ldapts';

import type { LdapSourceConfig } from '../../core/config-types.ts';
import type { RawEntry } from './entry-mapper.ts';

export type DeltaMechanism = Exclude<LdapSourceConfig['delta'], 'auto' | 'none'>;

export interface DeltaPage {
  /** Entries added or changed since the cursor, with the attributes the mapping needs. */
  entries: RawEntry[];
  /** Ids (in the source's externalId form) of entries deleted or moved out of scope. */
  deleted: string[];
  /** Cursor for the next call (opaque text; a reader may encode JSON or base64 in it). */
  cursor: string;
  /** False when the cursor was lost or refused: changes may have been missed. */
  complete: boolean;
}

export interface DeltaReaderContext {
  /** A bound client; the reader must not unbind it. */
  client: Client;
  /**
   * The bind password, for a reader that must open its own connection (content-sync: ldapts
   * cannot read Sync responses). Never logged.
   */
  password?: string;
  config: LdapSourceConfig;
  /** Attributes the mapping needs (id, mapped attributes, disabled detection). */
  attributes: string[];
  signal?: AbortSignal;
  /**
   * The ids (externalId form) the engine holds for this source, asked only when a reader must
   * work out deletions itself (a Content Sync present phase). Absent: such a read is incomplete.
   */
  knownIds?: () => Promise<Iterable<string>>;
}

export interface DeltaReader {
  readonly mechanism: DeltaMechanism;
  /** With no cursor: establish one (may return no entries) so the next call sees changes. */
  read(context: DeltaReaderContext, cursor: string | undefined): Promise<DeltaPage>;
}

/** Readers by mechanism; each module registers itself here. */
export const deltaReaders = new Map<DeltaMechanism, DeltaReader>();

/** The mechanism `auto` chooses for a directory flavor, given what the server supports. */
export function chooseMechanism(
  config: Pick<LdapSourceConfig, 'delta' | 'idAttribute'>,
  supported: { controls: string[] },
): DeltaMechanism | undefined {
  if (config.delta === 'none') return undefined;
  if (config.delta !== 'auto') return config.delta;
  const ad = config.idAttribute.toLowerCase() === 'objectguid';
  const has = (oid: string) => supported.controls.includes(oid);
  if (ad && has(OID.dirSync) && deltaReaders.has('dirsync')) return 'dirsync';
  if (ad && deltaReaders.has('usn')) return 'usn';
  if (has(OID.contentSync) && deltaReaders.has('content-sync')) return 'content-sync';
  return deltaReaders.has('timestamp') ? 'timestamp' : undefined;
}

export const OID = {
  /** LDAP_SERVER_DIRSYNC_OID (MS-ADTS 3.1.1.3.4.1.3). */
  dirSync: '1.2.840.113556.1.4.841',
  /** RFC 4533 Sync Request Control. */
  contentSync: '1.3.6.1.4.1.4203.1.9.1.1',
  /** LDAP_SERVER_SHOW_DELETED_OID. */
  showDeleted: '1.2.840.113556.1.4.417',
} as const;
