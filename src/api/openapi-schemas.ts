/**
 * Component schemas of the OpenAPI document: the records the API returns. They describe the
 * store's types (src/store/types.ts, src/core/model.ts); objects stay open to new fields.
 */
import type { Schema } from './schema.ts';

const str: Schema = { type: 'string' };
const time: Schema = { type: 'string', format: 'date-time' };
const int: Schema = { type: 'integer' };
const bool: Schema = { type: 'boolean' };
const anyValue: Schema = {};
const COMPLETE: Schema = {
  type: 'boolean',
  description: 'false when a source could not be read whole (see sources[]): nobody leaves from it',
};
const strMap: Schema = { type: 'object', properties: {}, additionalProperties: true };
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const list = (name: string): Schema => ({ type: 'array', items: ref(name) });

const obj = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object',
  properties,
  required,
  additionalProperties: true,
});

/** The schemas, by name. */
export const COMPONENT_SCHEMAS: Record<string, Schema> = {
  Error: obj(
    {
      error: obj({ code: str, message: str, details: strMap }, ['code', 'message']),
    },
    ['error'],
  ),
  Person: obj(
    {
      id: str,
      attributes: strMap,
      status: { type: 'string', enum: ['active', 'disabled', 'deleted'] },
      sourceLinks: { type: 'array', items: obj({ source: str, externalId: str, dn: str }) },
      excluded: bool,
      pinned: bool,
    },
    ['id', 'attributes', 'status', 'excluded', 'pinned'],
  ),
  Link: obj(
    { personId: str, target: str, type: str, key: str, externalId: str, attributes: strMap },
    ['personId', 'target', 'type', 'key'],
  ),
  HeldNumber: obj({ pool: str, kind: { type: 'string', enum: ['extension', 'did'] }, value: str }, [
    'pool',
    'kind',
    'value',
  ]),
  PersonDetail: obj({ person: ref('Person'), links: list('Link'), numbers: list('HeldNumber') }, [
    'person',
    'links',
    'numbers',
  ]),
  Run: obj(
    {
      id: str,
      kind: { type: 'string', enum: ['plan', 'sync', 'event'] },
      state: {
        type: 'string',
        enum: ['running', 'braked', 'approved', 'rejected', 'finished', 'failed'],
      },
      actor: str,
      startedAt: time,
      finishedAt: time,
      summary: strMap,
    },
    ['id', 'kind', 'state', 'actor', 'startedAt'],
  ),
  RunDetail: obj({ run: ref('Run'), operations: strMap }, ['run', 'operations']),
  RunReport: obj(
    {
      runId: str,
      mode: { type: 'string', enum: ['plan', 'sync'] },
      state: str,
      complete: COMPLETE,
      sources: { type: 'array', items: strMap },
      plans: { type: 'array', items: strMap },
      counts: strMap,
      brake: strMap,
      problems: list('Problem'),
    },
    ['runId', 'mode', 'state', 'complete', 'plans'],
  ),
  SyncResult: obj(
    {
      runId: { description: 'null when nothing changed and no run was recorded' },
      state: str,
      complete: COMPLETE,
      summary: strMap,
      problems: list('Problem'),
    },
    ['runId', 'state', 'complete'],
  ),
  RejectResult: obj({ runId: str, state: str, cancelled: int }, ['runId', 'cancelled']),
  Problem: obj({ source: str, record: str, field: str, message: str }, ['record', 'message']),
  Operation: obj(
    {
      id: str,
      runId: str,
      personId: str,
      seq: int,
      action: { type: 'string', enum: ['create', 'update', 'delete'] },
      target: str,
      type: str,
      key: str,
      attributes: strMap,
      state: {
        type: 'string',
        enum: ['held', 'pending', 'running', 'done', 'failed', 'skipped', 'cancelled'],
      },
      attempts: int,
      notBefore: time,
      lastError: strMap,
      result: strMap,
      reason: str,
      createdAt: time,
      updatedAt: time,
    },
    ['id', 'runId', 'personId', 'action', 'target', 'type', 'key', 'state'],
  ),
  NumberRecord: obj(
    {
      pool: str,
      kind: str,
      value: str,
      state: {
        type: 'string',
        enum: [
          'available',
          'assigned',
          'quarantined',
          'reserved',
          'held',
          'blocked',
          'retired',
          'forwarding',
        ],
      },
      personId: str,
      availableAt: time,
      note: str,
      updatedAt: time,
      outOfRange: { type: 'boolean' },
      forward: obj({ to: str, extension: str, via: str, until: time }, ['to', 'via', 'until']),
      emergency: obj({ location: str, elin: str, callback: str }, []),
      pinnedTo: str,
    },
    ['pool', 'kind', 'value', 'state'],
  ),
  PoolUsage: obj({ pool: str, kind: str, total: int, counts: strMap, free: int }, [
    'pool',
    'total',
    'free',
  ]),
  AuditEntry: obj(
    {
      id: int,
      at: time,
      actor: str,
      runId: str,
      personId: str,
      action: str,
      subject: str,
      before: anyValue,
      after: anyValue,
    },
    ['at', 'actor', 'action', 'subject'],
  ),
  Status: obj(
    {
      runs: list('Run'),
      openOperations: int,
      failedOperations: list('Operation'),
      pools: list('PoolUsage'),
    },
    ['runs', 'openOperations', 'failedOperations', 'pools'],
  ),
  Token: obj(
    {
      name: str,
      scope: { type: 'string', enum: ['read', 'write', 'admin'] },
      createdAt: time,
      createdBy: str,
      lastUsedAt: time,
      revokedAt: time,
    },
    ['name', 'scope', 'createdAt'],
  ),
  NewToken: obj(
    {
      token: { type: 'string', description: 'shown once; keep it safe' },
      name: str,
      scope: str,
      createdAt: time,
    },
    ['token', 'name', 'scope'],
  ),
  Health: obj(
    { status: { type: 'string', enum: ['ok', 'unavailable'] }, store: str, queueDepth: int },
    ['status'],
  ),
};
