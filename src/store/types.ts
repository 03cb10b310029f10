/**
 * The store behind one interface, implemented on SQLite (default, embedded) and PostgreSQL
 * (several engine processes sharing the work). Every method is atomic on its own; methods that
 * must be atomic together take a transaction internally. The same test suite runs on both.
 */
import type {
  Attributes,
  EmergencyInfo,
  HeldNumber,
  NumberForward,
  Link,
  NumberKind,
  Person,
  PersonStatus,
  PlannedOperation,
} from '../core/model.ts';

export type RunKind = 'plan' | 'sync' | 'event';
export type RunState = 'running' | 'braked' | 'approved' | 'rejected' | 'finished' | 'failed';

export interface RunRecord {
  id: string;
  kind: RunKind;
  state: RunState;
  /** Who or what asked: `cli:root`, `poll`, `api:token-name`. */
  actor: string;
  startedAt: string;
  finishedAt?: string;
  /** Counts and brake figures, for `status`. */
  summary: Record<string, unknown>;
}

export type OperationState =
  | 'held' // journaled in a braked run, waiting for approval
  | 'pending'
  | 'running'
  | 'done'
  | 'failed' // a retry cannot help: blocks the person's later operations until an operator acts
  | 'skipped' // an operator skipped it; later operations go on
  | 'cancelled';

export interface OperationRecord extends PlannedOperation {
  id: string;
  runId: string;
  /** Order within the person's operations across runs (journal order). */
  seq: number;
  state: OperationState;
  attempts: number;
  /** Earliest time the next attempt may start (ISO); backoff and Retry-After move it. */
  notBefore: string;
  leaseOwner?: string;
  leaseUntil?: string;
  /** Incremented at every claim; completion must present the fence it claimed with. */
  fence: number;
  lastError?: { code: string; message: string; retryable: boolean };
  result?: { externalId: string; outcome: string };
  createdAt: string;
  updatedAt: string;
}

export interface ClaimOptions {
  owner: string;
  /** Targets and how many more operations each may take now (free concurrency slots). */
  slots: Record<string, number>;
  leaseMs: number;
  now: Date;
  limit: number;
}

/**
 * `retired`: free once, but the pool's range no longer holds it; never allocated again.
 * `forwarding`: a leaver's number still ringing their manager or an announcement until its end.
 */
export type NumberState =
  | 'available'
  | 'assigned'
  | 'quarantined'
  | 'reserved'
  | 'held'
  | 'blocked'
  | 'retired'
  | 'forwarding';

export interface NumberRecord {
  pool: string;
  kind: NumberKind;
  value: string;
  state: NumberState;
  personId?: string;
  /**
   * When a quarantined number may be reused, or when a reservation lapses (ISO). A reserved
   * number without it stays reserved until it is unreserved.
   */
  availableAt?: string;
  /** The reservation's note, or why the number is blocked or held. */
  note?: string;
  updatedAt: string;
  /** True when the pool's current range no longer holds the number (kept while in use). */
  outOfRange?: boolean;
  /** While `forwarding`: where the number rings, and until when. */
  forward?: NumberForward;
  /** This number's own emergency data (the pool's applies when absent). */
  emergency?: EmergencyInfo;
  /** The person the number is pinned to. */
  pinnedTo?: string;
}

/** What `Store.reserveNumber` records with a reservation. */
export interface ReserveOptions {
  /** When the reservation lapses; after that the number is free for anyone. */
  until?: Date;
  note?: string;
  /** The person it is kept for: allocation gives it to them before any other number. */
  personId?: string;
  /** The time of the change (the clock of the caller); default now. */
  now?: Date;
}

/** Filters of `Store.searchNumbers`; all given ones must match. */
export interface NumberQuery {
  pool?: string;
  state?: NumberState;
  personId?: string;
  /** The value starts with these characters, exactly as stored (`+1212555`, `20`). */
  prefix?: string;
  /** Exactly this value (with `pool`, one indexed read). */
  value?: string;
}

/** See Store.previewNumbers. Calls are made one at a time, a person's needs one after another. */
export interface NumberPreview {
  /** What `allocateNumber` would give the person now, given what was shown to others. */
  peek(pool: string, personId: string): Promise<HeldNumber | undefined>;
}

/** One pool's numbers counted by state, for reports and `status`. */
export interface PoolUsage {
  pool: string;
  kind: NumberKind;
  total: number;
  /** Every state, zero when no number is in it. */
  counts: Record<NumberState, number>;
  /** What allocation could give right now: available, plus lapsed quarantines and reservations. */
  free: number;
  /** Numbers in use (not retired) that the pool's current range no longer holds. */
  outOfRange?: string[];
}

export interface AuditEntry {
  id?: number;
  at: string;
  actor: string;
  runId?: string;
  personId?: string;
  /** `operation.done`, `number.assigned`, `run.approved`, `person.excluded`… */
  action: string;
  subject: string;
  before?: unknown;
  after?: unknown;
}

export interface AuditQuery {
  personId?: string;
  runId?: string;
  action?: string;
  since?: string;
  limit?: number;
  /** Newest first (with `limit`: the newest N). Default: oldest first. */
  newestFirst?: boolean;
}

/** How a claimed operation ended, for `Store.complete`. */
export type CompletionOutcome =
  | {
      state: 'done';
      result: { externalId: string; outcome: string };
      audit?: CompletionAudit;
      link?: CompletionLink;
    }
  | { state: 'failed'; error: OperationError; audit?: CompletionAudit }
  | { state: 'pending'; notBefore: Date; error: OperationError; audit?: CompletionAudit }
  /** Not run because it is stale (audited as `operation.stale`); `link` drops the person's. */
  | { state: 'cancelled'; error: OperationError; audit?: CompletionAudit; link?: CompletionLink };

export interface OperationError {
  code: string;
  message: string;
  retryable: boolean;
}

/**
 * The caller's audit row for a completion, replacing the default one (actor `engine`, subject
 * `target/type/key`, before from the journal, after with the result or error). The action and
 * the ids still come from the operation.
 */
export interface CompletionAudit {
  actor: string;
  /** `target/type/key`. */
  subject: string;
  before?: unknown;
  after?: unknown;
}

/** A link change made with a `done` completion: upsert the link, or delete it (and its secret). */
export type CompletionLink =
  { save: Link } | { delete: { personId: string; target: string; type: string; key: string } };

/** One validated import row; `person` is a store person id (resolved before). */
export interface NumberImportRow {
  /** 1-based line of the CSV, for messages. */
  line: number;
  pool: string;
  value: string;
  state: 'assigned' | 'reserved' | 'blocked' | 'held';
  personId?: string;
  note?: string;
}

export interface PoolDefinition {
  name: string;
  kind: NumberKind;
  /** Every value of the range, canonical, in allocation order. */
  values: string[];
  quarantineDays: number;
  /** How a free number is chosen; default `lowest`. */
  policy?: AllocationPolicy;
  /** With policy `pattern`: a regex (`^2[0-9]00$`) or a digit mask (`2X00`). */
  pattern?: string;
  /** The pool's numbers follow another pool's (an extension derived from the person's DID). */
  mapping?: PoolMapping;
}

/** What the next sync would change in a stored pool to match its definition (see `plan`). */
export interface PoolChange {
  pool: string;
  /** The store has no such pool yet: all its numbers are added. */
  isNew: boolean;
  added: number;
  /** Free numbers the range no longer holds. */
  retired: number;
  /** Retired numbers the range holds again. */
  restored: number;
  /** Numbers in use the range no longer holds (they keep their state, flagged out of range). */
  outOfRange: string[];
  /** Kind, quarantine days, policy, pattern or mapping differ. */
  settings: boolean;
}

/** How allocation picks among free numbers; see src/store/number-policy.ts. */
export type AllocationPolicy = 'lowest' | 'least-recently-used' | 'random' | 'pattern';

/**
 * Extension = the DID's last `width` digits (`lastDigits`), or those digits plus `offset`,
 * padded to `width`. The pair is allocated together, in one transaction.
 */
export interface PoolMapping {
  didPool: string;
  width: number;
  offset: number;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  /** Applies pending migrations. Idempotent; called by `open`. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  // People and their correlation keys.
  getPerson(id: string): Promise<Person | undefined>;
  listPeople(): Promise<Person[]>;
  /** Finds people by correlation key values (`employeeId` → `E123`). */
  findPeopleByKey(key: string, value: string): Promise<Person[]>;
  /** Every stored value of these correlation keys, with its person (for bulk lookups). */
  listPersonKeys(
    keys: readonly string[],
  ): Promise<{ key: string; value: string; personId: string }[]>;
  findPersonBySourceLink(source: string, externalId: string): Promise<Person | undefined>;
  /** Insert or replace; keys are the correlation values to index. */
  savePerson(person: Person, keys: Record<string, string>): Promise<void>;
  setPersonFlags(
    id: string,
    flags: { excluded?: boolean; pinned?: boolean },
    actor: string,
    /** Why, for the audit (`people exclude --reason`). */
    reason?: string,
  ): Promise<void>;

  // Links between people and resources on targets.
  listLinks(personId?: string): Promise<Link[]>;
  /** How many people have at least one linked resource (the safety brake's base). */
  countLinkedPeople(): Promise<number>;
  saveLink(link: Link): Promise<void>;
  deleteLink(personId: string, target: string, type: string, key: string): Promise<void>;

  // Number pools.
  /** Creates missing numbers of the pool as available; never touches existing rows. */
  syncPool(pool: PoolDefinition): Promise<void>;
  /** What `syncPool` would change, without writing; undefined when nothing. */
  previewPool(pool: PoolDefinition): Promise<PoolChange | undefined>;
  /**
   * Atomically takes the lowest available number (or a quarantined one whose time has come)
   * for the person; returns the person's existing number of that pool if they hold one.
   * A rehire inside the quarantine window gets their old number back.
   */
  allocateNumber(pool: string, personId: string, now: Date, actor: string): Promise<HeldNumber>;
  /** Returns the number that allocation would give, without taking it (for `plan`). */
  peekNumber(pool: string, personId: string, now: Date): Promise<HeldNumber | undefined>;
  /**
   * A dry run's allocation: what each person would be given, with the number's own emergency
   * data. Never shows two people the same number; `now` is read as the run goes.
   */
  previewNumbers(now: () => Date, unsynced?: PoolDefinition[]): NumberPreview;
  /**
   * Moves the person's number (assigned or forwarding) to quarantine until now +
   * quarantineDays, or keeps it reserved for them when it is pinned to them; does nothing to a
   * number in another state. `reason` goes into the audit entry.
   */
  releaseNumber(
    pool: string,
    value: string,
    now: Date,
    actor: string,
    reason?: string,
  ): Promise<void>;
  /** Marks a number held (conflict found on a platform), with a reason. */
  holdNumber(pool: string, value: string, reason: string, actor: string): Promise<void>;
  numbersOf(personId: string): Promise<HeldNumber[]>;
  listNumbers(pool?: string): Promise<NumberRecord[]>;
  /**
   * Reserves a free number (available, or a lapsed quarantine or reservation), optionally for
   * one person (who must exist). Throws `not_found` for an unknown number or person and `state`
   * when the number is not free. Two reservations of one number at once: one wins.
   */
  reserveNumber(pool: string, value: string, options: ReserveOptions, actor: string): Promise<void>;
  /** reserved → available; `state` error for a number that is not reserved. */
  unreserveNumber(pool: string, value: string, reason: string, actor: string): Promise<void>;
  /**
   * Takes a number out of use for good: allocation never gives it. Refused (`state`, naming the
   * person) for an assigned number, and for one already blocked.
   */
  blockNumber(pool: string, value: string, reason: string, actor: string): Promise<void>;
  /** blocked → available; `state` error for a number that is not blocked. */
  unblockNumber(pool: string, value: string, reason: string, actor: string): Promise<void>;
  /**
   * Gives an assigned number to another person (who must exist and hold no number of the pool);
   * the old holder loses it at once, without quarantine.
   */
  moveNumber(
    pool: string,
    value: string,
    toPersonId: string,
    actor: string,
    reason?: string,
  ): Promise<void>;
  /**
   * Imports existing assignments, reservations and blocks in one transaction: either every
   * row given is applied or none (a row that fails inside aborts all, naming the row).
   */
  importNumbers(rows: readonly NumberImportRow[], actor: string, now: Date): Promise<number>;
  /**
   * Pins a number to a person: allocation gives it to them first and to nobody else; a free
   * number is reserved for them at once, and a release keeps it reserved for them instead of
   * quarantining it. Refused (`state`) when someone else holds it, naming both people.
   */
  pinNumber(pool: string, value: string, personId: string, actor: string): Promise<void>;
  /** Removes the pin; a number only reserved by the pin becomes available. */
  unpinNumber(pool: string, value: string, reason: string, actor: string): Promise<void>;
  /** Sets (or with null clears) the number's own emergency data. */
  setNumberEmergency(
    pool: string,
    value: string,
    emergency: EmergencyInfo | null,
    actor: string,
  ): Promise<void>;
  /**
   * assigned → forwarding (a leaver's number ringing elsewhere until `forward.until`); on a
   * forwarding number, changes where it rings. The person stays on the number, so a rehire gets
   * it back. `state` error for any other state.
   */
  forwardNumber(
    pool: string,
    value: string,
    forward: NumberForward,
    now: Date,
    actor: string,
  ): Promise<void>;
  /** Numbers matching every given filter, in pool and allocation order. */
  searchNumbers(query: NumberQuery): Promise<NumberRecord[]>;
  /** Every pool's numbers counted by state; `now` decides which quarantines have lapsed. */
  poolUsage(now: Date): Promise<PoolUsage[]>;

  // Runs and the operation journal/queue.
  createRun(run: Omit<RunRecord, 'startedAt'> & { startedAt?: string }): Promise<RunRecord>;
  updateRun(
    id: string,
    patch: Partial<Pick<RunRecord, 'state' | 'finishedAt' | 'summary'>>,
  ): Promise<void>;
  getRun(id: string): Promise<RunRecord | undefined>;
  listRuns(limit?: number): Promise<RunRecord[]>;
  /** Journals operations in one transaction; `state` is `pending` or `held`. Returns ids. */
  journal(runId: string, ops: PlannedOperation[], state: 'pending' | 'held'): Promise<string[]>;
  /**
   * Claims runnable operations: state pending, notBefore <= now, the person's oldest unfinished
   * operation (nothing earlier pending, running or failed), no other of the person's in flight,
   * within the target's free slots. Sets state running, lease, fence+1, attempts+1.
   */
  claim(options: ClaimOptions): Promise<OperationRecord[]>;
  /** Extends the lease if still held with that fence; false when lost. */
  renewLease(id: string, fence: number, leaseMs: number, now: Date): Promise<boolean>;
  /**
   * Completes a claimed operation; false (and no change) when the fence is stale. Writes, in
   * one transaction and only with a valid fence: the operation's state, exactly one audit row
   * (`operation.done`, `operation.failed` or `operation.retry`; `outcome.audit` supplies its
   * actor, subject and before/after, else the engine's default row), and for `done` the
   * `outcome.link` change. A link delete also removes the secret stored under
   * `target/type/key`, so a reused number never inherits an old password.
   */
  complete(id: string, fence: number, outcome: CompletionOutcome): Promise<boolean>;
  /** Returns expired leases to pending; returns how many. */
  reapLeases(now: Date): Promise<number>;
  getOperation(id: string): Promise<OperationRecord | undefined>;
  listOperations(filter: {
    runId?: string;
    personId?: string;
    state?: OperationState[];
  }): Promise<OperationRecord[]>;
  /** held → pending (approve) or held → cancelled (reject) for a run. Returns count. */
  releaseHeld(runId: string, to: 'pending' | 'cancelled'): Promise<number>;
  /**
   * Operator actions on a failed operation. A retry of a stale operation (its resource now
   * another person's, or planned again since) cancels it instead and says why.
   */
  setOperationState(
    id: string,
    state: 'pending' | 'skipped' | 'cancelled',
    actor: string,
  ): Promise<{ state: OperationState; reason?: string }>;
  /** Why an operation must not run any more (see store/stale.ts), or undefined. */
  staleReason(op: OperationRecord): Promise<string | undefined>;
  /** Count of operations not yet finished (pending, running, held), optionally per run. */
  countOpen(runId?: string): Promise<number>;

  // Secrets, encrypted by the caller; the store keeps ciphertext only.
  putSecret(ref: string, ciphertext: string): Promise<void>;
  getSecret(ref: string): Promise<{ ciphertext: string; deliveredAt?: string } | undefined>;
  markSecretDelivered(ref: string, at: Date): Promise<void>;
  deleteSecret(ref: string): Promise<void>;

  // Audit.
  audit(entry: AuditEntry): Promise<void>;
  queryAudit(query: AuditQuery): Promise<AuditEntry[]>;

  // Small state: source cursors, last full read counts (for the brake).
  getState(key: string): Promise<string | undefined>;
  setState(key: string, value: string): Promise<void>;
}

export type { Attributes, PersonStatus };
