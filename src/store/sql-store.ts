/**
 * The Store on Kysely: one class for SQLite and PostgreSQL. The methods delegate to one module
 * per table group; dialect differences live in `context.ts` (transactions), the queue's and the
 * allocator's row locks, and the first migration's auto-numbered columns.
 */
import { Migrator } from 'kysely';

import { CallsignError, ErrorCode } from '../core/errors.ts';
import type {
  EmergencyInfo,
  HeldNumber,
  Link,
  NumberForward,
  Person,
  PlannedOperation,
} from '../core/model.ts';
import { WriteBatch } from './completion-batch.ts';
import type { StoreContext } from './context.ts';
import { migrationProvider } from './migrations/index.ts';
import * as numberAdmin from './number-admin.ts';
import { importNumbers, listPersonKeys } from './number-import.ts';
import * as numberPins from './number-pins.ts';
import { previewNumbers } from './number-preview.ts';
import { previewPoolDefinition } from './number-range.ts';
import * as numberQueries from './number-queries.ts';
import * as numbers from './numbers.ts';
import * as operations from './operations.ts';
import * as people from './people.ts';
import * as queue from './queue.ts';
import * as records from './records.ts';
import { staleReasonIn } from './stale.ts';
import type {
  AuditEntry,
  AuditQuery,
  ClaimOptions,
  CompletionOutcome,
  NumberImportRow,
  NumberPreview,
  NumberQuery,
  NumberRecord,
  OperationRecord,
  OperationState,
  PoolChange,
  PoolDefinition,
  PoolUsage,
  ReserveOptions,
  RunRecord,
  Store,
} from './types.ts';

/** A Store over a Kysely instance; build it with `openStore`. */
export class SqlStore implements Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly #ctx: StoreContext;
  /** Completions and lease renewals, group-committed. */
  readonly #batch: WriteBatch;

  constructor(ctx: StoreContext) {
    this.#ctx = ctx;
    this.#batch = new WriteBatch(ctx);
    this.dialect = ctx.dialect;
  }

  async migrate(): Promise<void> {
    const migrator = new Migrator({ db: this.#ctx.db, provider: migrationProvider(this.dialect) });
    const { error, results } = await migrator.migrateToLatest();
    for (const r of results ?? []) {
      const level = r.status === 'Success' ? 'info' : 'error';
      this.#ctx.log[level]({ migration: r.migrationName, status: r.status }, 'store migration');
    }
    if (error !== undefined) {
      throw new CallsignError(ErrorCode.Internal, `Store migration failed: ${String(error)}`, {
        cause: error,
        details: { dialect: this.dialect },
      });
    }
  }

  /**
   * The Kysely context, for modules that keep their own tables beside the store's (the SCIM
   * service's `scim-store.ts`). Not part of the Store interface: only SQL stores have one.
   */
  sqlContext(): StoreContext {
    return this.#ctx;
  }

  async close(): Promise<void> {
    await this.#batch.drain();
    await this.#ctx.db.destroy();
  }

  async getPerson(id: string): Promise<Person | undefined> {
    return (await people.loadPeople(this.#ctx.db, [id]))[0];
  }

  listPeople(): Promise<Person[]> {
    return people.loadPeople(this.#ctx.db);
  }

  findPeopleByKey(key: string, value: string): Promise<Person[]> {
    return people.findPeopleByKey(this.#ctx, key, value);
  }

  findPersonBySourceLink(source: string, externalId: string): Promise<Person | undefined> {
    return people.findPersonBySourceLink(this.#ctx, source, externalId);
  }

  savePerson(person: Person, keys: Record<string, string>): Promise<void> {
    return people.savePerson(this.#ctx, person, keys);
  }

  setPersonFlags(
    id: string,
    flags: { excluded?: boolean; pinned?: boolean },
    actor: string,
    reason?: string,
  ) {
    return people.setPersonFlags(this.#ctx, id, flags, actor, reason);
  }

  listLinks(personId?: string): Promise<Link[]> {
    return people.listLinks(this.#ctx, personId);
  }

  countLinkedPeople(): Promise<number> {
    return people.countLinkedPeople(this.#ctx);
  }

  saveLink(link: Link): Promise<void> {
    return people.saveLink(this.#ctx, link);
  }

  deleteLink(personId: string, target: string, type: string, key: string): Promise<void> {
    return people.deleteLink(this.#ctx, { personId, target, type, key });
  }

  syncPool(pool: PoolDefinition): Promise<void> {
    return numbers.syncPool(this.#ctx, pool);
  }

  previewPool(pool: PoolDefinition): Promise<PoolChange | undefined> {
    return previewPoolDefinition(this.#ctx.db, pool, new Date());
  }

  allocateNumber(pool: string, personId: string, now: Date, actor: string): Promise<HeldNumber> {
    return numbers.allocateNumber(this.#ctx, { pool, personId, now, actor });
  }

  peekNumber(pool: string, personId: string, now: Date): Promise<HeldNumber | undefined> {
    return numbers.peekNumber(this.#ctx, pool, personId, now);
  }

  previewNumbers(now: () => Date, unsynced?: PoolDefinition[]): NumberPreview {
    return previewNumbers(this.#ctx.db, now, unsynced);
  }

  releaseNumber(pool: string, value: string, now: Date, actor: string, reason?: string) {
    return numbers.releaseNumber(this.#ctx, { pool, value, now, actor, reason });
  }

  holdNumber(pool: string, value: string, reason: string, actor: string): Promise<void> {
    return numbers.holdNumber(this.#ctx, { pool, value, reason, actor });
  }

  numbersOf(personId: string): Promise<HeldNumber[]> {
    return numbers.numbersOf(this.#ctx, personId);
  }

  listNumbers(pool?: string): Promise<NumberRecord[]> {
    return numbers.listNumbers(this.#ctx, pool);
  }

  reserveNumber(pool: string, value: string, options: ReserveOptions, actor: string) {
    return numberAdmin.reserveNumber(this.#ctx, { pool, value, options, actor });
  }

  unreserveNumber(pool: string, value: string, reason: string, actor: string): Promise<void> {
    return numberAdmin.unreserveNumber(this.#ctx, { pool, value, reason, actor });
  }

  blockNumber(pool: string, value: string, reason: string, actor: string): Promise<void> {
    return numberAdmin.blockNumber(this.#ctx, { pool, value, reason, actor });
  }

  unblockNumber(pool: string, value: string, reason: string, actor: string): Promise<void> {
    return numberAdmin.unblockNumber(this.#ctx, { pool, value, reason, actor });
  }

  moveNumber(pool: string, value: string, toPersonId: string, actor: string, reason?: string) {
    return numberAdmin.moveNumber(this.#ctx, { pool, value, toPersonId, actor, reason });
  }

  listPersonKeys(keys: readonly string[]) {
    return listPersonKeys(this.#ctx, keys);
  }

  importNumbers(rows: readonly NumberImportRow[], actor: string, now: Date): Promise<number> {
    return importNumbers(this.#ctx, rows, actor, now);
  }

  pinNumber(pool: string, value: string, personId: string, actor: string): Promise<void> {
    return numberPins.pinNumber(this.#ctx, { pool, value, personId, actor });
  }

  unpinNumber(pool: string, value: string, reason: string, actor: string): Promise<void> {
    return numberPins.unpinNumber(this.#ctx, { pool, value, reason, actor });
  }

  setNumberEmergency(pool: string, value: string, emergency: EmergencyInfo | null, actor: string) {
    return numberPins.setNumberEmergency(this.#ctx, { pool, value, emergency, actor });
  }

  forwardNumber(pool: string, value: string, forward: NumberForward, now: Date, actor: string) {
    return numberPins.forwardNumber(this.#ctx, { pool, value, forward, now, actor });
  }

  searchNumbers(query: NumberQuery): Promise<NumberRecord[]> {
    return numberQueries.searchNumbers(this.#ctx, query);
  }

  poolUsage(now: Date): Promise<PoolUsage[]> {
    return numberQueries.poolUsage(this.#ctx, now);
  }

  createRun(run: Omit<RunRecord, 'startedAt'> & { startedAt?: string }): Promise<RunRecord> {
    return records.createRun(this.#ctx, run);
  }

  updateRun(
    id: string,
    patch: Partial<Pick<RunRecord, 'state' | 'finishedAt' | 'summary'>>,
  ): Promise<void> {
    return records.updateRun(this.#ctx, id, patch);
  }

  getRun(id: string): Promise<RunRecord | undefined> {
    return records.getRun(this.#ctx, id);
  }

  listRuns(limit?: number): Promise<RunRecord[]> {
    return records.listRuns(this.#ctx, limit);
  }

  journal(runId: string, ops: PlannedOperation[], state: 'pending' | 'held'): Promise<string[]> {
    return queue.journal(this.#ctx, runId, ops, state);
  }

  claim(options: ClaimOptions): Promise<OperationRecord[]> {
    return queue.claim(this.#ctx, options);
  }

  renewLease(id: string, fence: number, leaseMs: number, now: Date): Promise<boolean> {
    return this.#batch.run((db) => queue.renewOne(db, { id, fence, leaseMs, now }));
  }

  complete(id: string, fence: number, outcome: CompletionOutcome): Promise<boolean> {
    return this.#batch.run((db) => queue.completeOne(db, { id, fence }, outcome));
  }

  reapLeases(now: Date): Promise<number> {
    return queue.reapLeases(this.#ctx, now);
  }

  getOperation(id: string): Promise<OperationRecord | undefined> {
    return operations.getOperation(this.#ctx, id);
  }

  listOperations(filter: {
    runId?: string;
    personId?: string;
    state?: OperationState[];
  }): Promise<OperationRecord[]> {
    return operations.listOperations(this.#ctx, filter);
  }

  releaseHeld(runId: string, to: 'pending' | 'cancelled'): Promise<number> {
    return operations.releaseHeld(this.#ctx, runId, to);
  }

  setOperationState(id: string, state: 'pending' | 'skipped' | 'cancelled', actor: string) {
    return operations.setOperationState(this.#ctx, { id, state, actor });
  }

  staleReason(op: OperationRecord): Promise<string | undefined> {
    return staleReasonIn(this.#ctx.db, op);
  }

  countOpen(runId?: string): Promise<number> {
    return operations.countOpen(this.#ctx, runId);
  }

  putSecret(ref: string, ciphertext: string): Promise<void> {
    return records.putSecret(this.#ctx, ref, ciphertext);
  }

  getSecret(ref: string): Promise<{ ciphertext: string; deliveredAt?: string } | undefined> {
    return records.getSecret(this.#ctx, ref);
  }

  markSecretDelivered(ref: string, at: Date): Promise<void> {
    return records.markSecretDelivered(this.#ctx, ref, at);
  }

  deleteSecret(ref: string): Promise<void> {
    return records.deleteSecret(this.#ctx, ref);
  }

  audit(entry: AuditEntry): Promise<void> {
    return records.insertAudit(this.#ctx.db, entry);
  }

  queryAudit(query: AuditQuery): Promise<AuditEntry[]> {
    return records.queryAudit(this.#ctx, query);
  }

  getState(key: string): Promise<string | undefined> {
    return records.getState(this.#ctx, key);
  }

  setState(key: string, value: string): Promise<void> {
    return records.setState(this.#ctx, key, value);
  }
}
