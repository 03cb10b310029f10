/**
 * The two seams every connector plugs into. A connector declares what it supports; the engine
 * asks before it relies on an optional method.
 */
import type { Attributes, Link, RecordProblem, SourceRecord, Snapshot } from '../core/model.ts';

export interface SourceCapabilities {
  /** `readChanges` is implemented (Content Sync, DirSync, uSNChanged, modifyTimestamp). */
  delta: boolean;
  /** `writeBack` is implemented. */
  writeBack: boolean;
  /**
   * Changes are pushed to Callsign (SCIM) as they happen, so polling needs no change feed for
   * this source: it is read only in the periodic full reconciliation.
   */
  push?: boolean;
}

export interface ChangeBatch {
  records: SourceRecord[];
  /** Opaque cursor to pass to the next `readChanges`. */
  cursor: string;
  /** False when the server refused or lost the cursor: the engine falls back to a full read. */
  complete: boolean;
  /** Records that could not be read (named by DN and field); the rest of the batch stands. */
  problems?: RecordProblem[];
}

export interface ReadChangesOptions {
  /**
   * The externalIds the engine has linked to this source. A feed that learns only what still
   * exists (a Content Sync present phase) works out deletions from them instead of giving up.
   */
  knownIds?: () => Promise<Iterable<string>>;
}

/** A system Callsign reads people from. */
export interface SourceConnector {
  readonly name: string;
  readonly kind: string;
  readonly capabilities: SourceCapabilities;
  /**
   * A full read. Must be paged. Never throws for one bad record: it goes in `problems`.
   * Throws CallsignError(unavailable|auth) when the source cannot be read at all.
   */
  readAll(signal?: AbortSignal): Promise<Snapshot>;
  readChanges?(
    cursor: string | undefined,
    signal?: AbortSignal,
    options?: ReadChangesOptions,
  ): Promise<ChangeBatch>;
  /**
   * Calls `onChange` soon after the source changes, until the signal aborts (LDAP Content Sync
   * persist). A doorbell only: the daemon then polls early and reads with `readChanges`.
   */
  watch?(onChange: () => void, signal: AbortSignal): void;
  /**
   * Writes values to the record (null clears the attribute). Values are canonical; the
   * connector formats them for each attribute's syntax.
   */
  writeBack?(record: { externalId: string; dn?: string }, values: WriteBackValues): Promise<void>;
  close(): Promise<void>;
}

/** Attribute name to value; a value is a canonical number (E.164 or extension digits) or null. */
export type WriteBackValues = Record<string, string | null>;

export interface TargetPace {
  /** Operations in flight at once on this target. */
  concurrency: number;
  /** Operations started per second; absent means unlimited. */
  ratePerSecond?: number;
}

/** One change for a target to make. Targets "ensure": they read first, so a retry is safe. */
export interface TargetChange {
  action: 'create' | 'update' | 'delete';
  type: string;
  key: string;
  attributes: Record<string, string>;
  /** Plain secret for resources that carry one; never logged. */
  secret?: string;
  /**
   * On an update, the values the changed attributes had as last applied (the link's), so a
   * target can take back what Callsign set before (a skill no longer wanted) and leave alone
   * what others set. Absent on create and delete (a delete's attributes are the link's).
   */
  before?: Record<string, string>;
}

export interface TargetResult {
  /** The target's own id for the resource (for delete: the id that was removed, or the key). */
  externalId: string;
  /** `noop` when the target already was in the wanted state (a retry after a lost answer). */
  outcome: 'created' | 'updated' | 'deleted' | 'noop';
}

/** A telecom platform Callsign provisions resources on. */
export interface TargetConnector {
  readonly name: string;
  readonly kind: string;
  /** Resource types this target accepts, in dependency order. */
  readonly resourceTypes: readonly string[];
  readonly pace: TargetPace;
  /** Reads one resource by type and key; null when absent. */
  read(type: string, key: string): Promise<Attributes | null>;
  /**
   * False for a target whose reads cannot be trusted to show what earlier runs made (the
   * `null` target of a configuration forgets when the process ends): the drift check skips it.
   */
  readonly remembers?: boolean;
  /** Makes the change idempotently. Throws CallsignError with the platform's error mapped. */
  apply(change: TargetChange): Promise<TargetResult>;
  /**
   * For targets whose leaver forward is the person's own resource kept and turned around
   * (Unified CM: the directory number stays, with Call Forward All) rather than a resource of
   * its own (Kamailio): which of the person's links on this target carries the forwarded DID
   * (`extension`: the one the pool mapping, `extensionFrom`, pairs with it). The plan
   * hands that resource to the forward instead of removing it. Absent: nothing is kept.
   */
  forwardCarrier?(
    links: readonly Link[],
    number: { did: string; extension?: string },
  ): Link | undefined;
  /** Asks whether a number is already used on the platform (conflict check before assign). */
  numberInUse?(value: string): Promise<boolean>;
  /**
   * Every number the platform uses, for import and reconciliation (`numbers reconcile`): the
   * value as the platform holds it, its kind, and who has it in the platform's own terms.
   */
  listNumbers?(): AsyncIterable<PlatformNumber>;
  close(): Promise<void>;
}

/** A number as a platform holds it; `owner` is the platform's name for its holder. */
export interface PlatformNumber {
  value: string;
  kind: 'extension' | 'did';
  owner?: string;
}
