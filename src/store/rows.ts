/**
 * Conversions between table rows and the records of the Store interface. JSON columns are text;
 * absent optional fields are NULL in the row and missing (not `undefined`-valued) in the record.
 */
import type { Selectable } from 'kysely';

import type { Link, NumberKind, Person, PersonStatus } from '../core/model.ts';
import type {
  AuditEntry,
  NumberRecord,
  NumberState,
  OperationRecord,
  OperationState,
  RunKind,
  RunRecord,
  RunState,
} from './types.ts';
import type {
  AuditTable,
  LinksTable,
  NumbersTable,
  OperationsTable,
  PeopleTable,
  PersonSourcesTable,
  RunsTable,
} from './schema.ts';

/** A person from their row and their source-link rows. */
export function toPerson(
  row: Selectable<PeopleTable>,
  sources: Selectable<PersonSourcesTable>[],
): Person {
  const person: Person = {
    id: row.id,
    attributes: JSON.parse(row.attributes),
    status: row.status as PersonStatus,
    sourceLinks: sources.map((s) => ({
      source: s.source,
      externalId: s.external_id,
      ...(s.dn === null ? {} : { dn: s.dn }),
      ...(s.missing_since == null ? {} : { missingSince: s.missing_since }),
    })),
    excluded: Number(row.excluded) === 1,
    pinned: Number(row.pinned) === 1,
  };
  if (row.last_applied_hash !== null) person.lastAppliedHash = row.last_applied_hash;
  return person;
}

export function toLink(row: Selectable<LinksTable>): Link {
  return {
    personId: row.person_id,
    target: row.target,
    type: row.type,
    key: row.key,
    externalId: row.external_id,
    attributes: JSON.parse(row.attributes),
  };
}

export function toNumber(row: Selectable<NumbersTable>): NumberRecord {
  const record: NumberRecord = {
    pool: row.pool,
    kind: row.kind as NumberKind,
    value: row.value,
    state: row.state as NumberState,
    updatedAt: row.updated_at,
  };
  if (row.person_id !== null) record.personId = row.person_id;
  if (row.available_at !== null) record.availableAt = row.available_at;
  if (Number(row.in_range) === 0) record.outOfRange = true;
  if (row.forward !== null) record.forward = JSON.parse(row.forward);
  if (row.emergency !== null) record.emergency = JSON.parse(row.emergency);
  if (row.pinned_to !== null) record.pinnedTo = row.pinned_to;
  return record;
}

export function toRun(row: Selectable<RunsTable>): RunRecord {
  const run: RunRecord = {
    id: row.id,
    kind: row.kind as RunKind,
    state: row.state as RunState,
    actor: row.actor,
    startedAt: row.started_at,
    summary: JSON.parse(row.summary),
  };
  if (row.finished_at !== null) run.finishedAt = row.finished_at;
  return run;
}

export function toOperation(row: Selectable<OperationsTable>): OperationRecord {
  const op: OperationRecord = {
    id: row.id,
    runId: row.run_id,
    seq: Number(row.seq),
    personId: row.person_id,
    action: row.action as OperationRecord['action'],
    target: row.target,
    type: row.type,
    key: row.key,
    attributes: JSON.parse(row.attributes),
    after: JSON.parse(row.after),
    reason: row.reason,
    state: row.state as OperationState,
    attempts: Number(row.attempts),
    notBefore: row.not_before,
    fence: Number(row.fence),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.before !== null) op.before = JSON.parse(row.before);
  if (Number(row.secret) === 1) op.secret = true;
  if (row.lease_owner !== null) op.leaseOwner = row.lease_owner;
  if (row.lease_until !== null) op.leaseUntil = row.lease_until;
  if (row.last_error !== null) op.lastError = JSON.parse(row.last_error);
  if (row.result !== null) op.result = JSON.parse(row.result);
  return op;
}

export function toAudit(row: Selectable<AuditTable>): AuditEntry {
  const entry: AuditEntry = {
    id: Number(row.id),
    at: row.at,
    actor: row.actor,
    action: row.action,
    subject: row.subject,
  };
  if (row.run_id !== null) entry.runId = row.run_id;
  if (row.person_id !== null) entry.personId = row.person_id;
  if (row.before !== null) entry.before = JSON.parse(row.before);
  if (row.after !== null) entry.after = JSON.parse(row.after);
  return entry;
}

/** JSON text for a nullable column: `undefined` becomes NULL. */
export function jsonOrNull(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}
