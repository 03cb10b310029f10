/**
 * The values the core decides with. Plain data only: no I/O, no classes with behaviour, so the
 * core can be tested with literals and the store can persist them as JSON.
 */

/** An attribute as a source reports it, after mapping to Callsign's names. */
export type AttrValue = string | number | boolean | null | string[];

export type Attributes = Record<string, AttrValue>;

/** What a source says about one of its entries. */
export interface SourceRecord {
  /** Name of the source in the configuration. */
  source: string;
  /** The source's stable identifier: entryUUID, canonical objectGUID, worker id. Never a DN. */
  externalId: string;
  /** Where to write back, when the source is a directory. */
  dn?: string;
  /** `deleted` records come from change feeds or tombstones; a missing entry is not one. */
  state: 'active' | 'disabled' | 'deleted';
  /** Mapped attributes (Callsign names, per the source's `attributes` mapping). */
  attributes: Attributes;
}

/** A problem with one record: reported, never fatal to the rest. */
export interface RecordProblem {
  source: string;
  /** externalId or DN or row number: whatever lets an administrator find it. */
  record: string;
  field?: string;
  message: string;
  /** `info` for a note (a value normalised, a reference left dangling); absent means error. */
  severity?: 'info' | 'error';
  /**
   * What was done with the record or field: `held` (nothing changes for it), `dropped` (the
   * field was left out, the rest kept), `normalised`, `kept` as it was, or `superseded` by a
   * newer record of the same person. Absent: not said.
   */
  outcome?: 'held' | 'dropped' | 'normalised' | 'kept' | 'superseded';
}

/** A full read of a source. `complete` is false when any page failed or a limit cut it short. */
export interface Snapshot {
  source: string;
  records: SourceRecord[];
  complete: boolean;
  problems: RecordProblem[];
  /**
   * Ids the source saw but holds (a worker id on two rows, a row with a bad date): the people
   * linked to them keep their state and get no plan, instead of being taken for gone.
   */
  heldIds?: string[];
}

export type PersonStatus = 'active' | 'disabled' | 'deleted';

/** One human, gathered from sources and correlated into one record. */
export interface Person {
  id: string;
  /** Merged attributes; used by rules as `person.<name>`. */
  attributes: Attributes;
  status: PersonStatus;
  /** `source:externalId` pairs linked to this person. */
  sourceLinks: {
    source: string;
    externalId: string;
    dn?: string;
    /** When the record was first absent from a complete read (grace period before leaving). */
    missingSince?: string;
  }[];
  /** Excluded from automation: the planner emits nothing for this person. */
  excluded: boolean;
  /** Resources pinned: rules neither change nor remove what is linked. */
  pinned: boolean;
  /** Fingerprint of the rule-relevant attributes at the last applied plan (mover detection). */
  lastAppliedHash?: string;
}

export const Lifecycle = {
  Joiner: 'joiner',
  Mover: 'mover',
  Leaver: 'leaver',
  Rehire: 'rehire',
  FutureStart: 'future-start',
  FutureEnd: 'future-end',
  Unchanged: 'unchanged',
} as const;
export type Lifecycle = (typeof Lifecycle)[keyof typeof Lifecycle];

/** Kinds of number a pool holds. */
export type NumberKind = 'extension' | 'did';

/** A number a person holds, by the role it plays in their profile. */
export interface HeldNumber {
  pool: string;
  kind: NumberKind;
  /** Canonical value: digits for extensions, E.164 for DIDs. */
  value: string;
  /** The number's emergency data: its own override, else its pool's (site's). */
  emergency?: EmergencyInfo;
}

/**
 * Where emergency services are sent for calls from a number, and the number they call back.
 * `location` is dispatchable location text; `elin` an Emergency Location Identification Number
 * (E.164); `callback` the emergency callback number (E.164).
 */
export interface EmergencyInfo {
  location?: string;
  elin?: string;
  callback?: string;
}

/**
 * Where a leaver's number rings until `until` (ISO): the manager's number (`via: manager`, with
 * their extension when they have one) or the configured announcement.
 */
export interface NumberForward {
  to: string;
  extension?: string;
  via: 'manager' | 'announcement';
  until: string;
}

/** What a profile wants on a target, after templates are rendered. */
export interface DesiredResource {
  target: string;
  /** Target-specific type: `sip-subscriber`, `sip-alias`, `ldap-writeback`… */
  type: string;
  /** Natural key on the target (extension, alias), stable across runs. */
  key: string;
  attributes: Record<string, string>;
  /** Attribute names set only when the resource is created. */
  createOnly: string[];
  /** Keys (`type:key`) this resource needs to exist first. */
  dependsOn: string[];
  /** The resource carries a generated secret (SIP password) the executor creates. */
  secret?: boolean;
}

/** The record that a resource on a target belongs to a person. */
export interface Link {
  personId: string;
  target: string;
  type: string;
  key: string;
  /** The target's own identifier. */
  externalId: string;
  /** Attributes as last applied. */
  attributes: Record<string, string>;
}

export type OperationAction = 'create' | 'update' | 'delete';

/** One planned change of one resource. */
export interface PlannedOperation {
  personId: string;
  action: OperationAction;
  target: string;
  type: string;
  key: string;
  /**
   * Full desired attributes for create; only the changed ones for update; last known for
   * delete.
   */
  attributes: Record<string, string>;
  /** Previous values of changed attributes, for the audit. */
  before?: Record<string, string>;
  secret?: boolean;
  /** Indexes into the same person's operation list that must finish first. */
  after: number[];
  /** Why: rule name, lifecycle, pinned… for the plan display and audit. */
  reason: string;
}

/** What the rules decided for a person, before numbers are known. */
export interface Decision {
  personId: string;
  lifecycle: Lifecycle;
  /** Name of the first matching rule; absent when none matched or the person leaves. */
  rule?: string;
  profile?: string;
  /** Numbers the profile needs, by kind, and the pool each comes from. */
  numbers: { kind: NumberKind; pool: string }[];
  problems: RecordProblem[];
}

/**
 * A person's plan for one run. Number assignment and release, and write-back to sources, are
 * operations like any other (targets `inventory` and the source's name), so they are journaled
 * and ordered with the rest: a number is released only after the resources using it are gone.
 */
export interface PersonPlan {
  personId: string;
  lifecycle: Lifecycle;
  /** Human-facing name for display (displayName, mail or externalId). */
  label: string;
  operations: PlannedOperation[];
  problems: RecordProblem[];
  /** True when the plan removes everything the person has (counted by the safety brake). */
  deprovision: boolean;
}
