/**
 * Reads the tasks assigned to Callsign's group since a cursor and turns each into a record of
 * the requested person: the sys_user record's fields plus the requested item's fields, and
 * `request` (joiner, mover, leaver, agent) from the catalog item. A task whose requested item
 * lacks a field is not a record: it is returned as `incomplete`, naming the fields.
 */
import type { ServiceNowSourceConfig } from '../../core/config-servicenow.ts';
import { type RequestKind } from '../../core/config-servicenow.ts';
import type { Attributes, RecordProblem, SourceRecord } from '../../core/model.ts';
import type { TableClient, TableRecord } from './table-client.ts';

/** A task Callsign picked up, with what is needed to write the outcome back. */
export interface PickedTask {
  sysId: string;
  number: string;
  /** ServiceNow state value: 1 open, 2 work in progress, 3 closed complete, 4 incomplete. */
  state: string;
  /** `sys_updated_on` as the instance wrote it (UTC, `YYYY-MM-DD HH:mm:ss`). */
  updatedOn: string;
  /** The requested person's sys_user sys_id: the record's externalId. */
  userSysId?: string;
  kind?: RequestKind;
  /** Fields the requested item lacks; the task cannot be done. */
  missing: string[];
  /** Why the task cannot be done, when not a missing field (unknown item, unknown user). */
  refused?: string;
}

export interface TaskBatch {
  tasks: PickedTask[];
  records: SourceRecord[];
  problems: RecordProblem[];
  /** The newest `sys_updated_on` seen, or the cursor given when nothing was new. */
  cursor: string | undefined;
}

/** Reads tasks updated at or after `cursor` (ties on one second are the caller's to skip). */
export async function readTasks(
  config: ServiceNowSourceConfig,
  client: TableClient,
  cursor: string | undefined,
  signal?: AbortSignal,
): Promise<TaskBatch> {
  const terms = [`assignment_group=${config.assignmentGroup}`, 'active=true'];
  if (cursor !== undefined) terms.push(`sys_updated_on>=${cursor}`);
  if (config.pollQuery !== undefined) terms.push(config.pollQuery);
  // Ordered by update time then sys_id so that paging is stable and the cursor only grows.
  const query = `${terms.join('^')}^ORDERBYsys_updated_on^ORDERBYsys_id`;

  const batch: TaskBatch = { tasks: [], records: [], problems: [], cursor };
  for await (const row of client.list(config.table, { query, fields: TASK_FIELDS }, signal)) {
    const updatedOn = text(row.sys_updated_on);
    if (batch.cursor === undefined || updatedOn > batch.cursor) batch.cursor = updatedOn;
    await addTask(config, client, row, batch);
  }
  return batch;
}

/**
 * One task by sys_id, read from the instance (a pushed notice is only a hint: its body is not
 * trusted). Empty when the task does not exist, is not active or is not assigned to the group.
 * The cursor is left undefined: the poll still reads everything since its own cursor.
 */
export async function readTask(
  config: ServiceNowSourceConfig,
  client: TableClient,
  sysId: string,
): Promise<TaskBatch & { skipped?: string }> {
  const batch: TaskBatch & { skipped?: string } = {
    tasks: [],
    records: [],
    problems: [],
    cursor: undefined,
  };
  const row = await client.get(config.table, sysId, {
    fields: [...TASK_FIELDS, 'assignment_group', 'active'],
  });
  if (row === null) batch.skipped = `task ${sysId} does not exist`;
  else if (text(row.assignment_group) !== config.assignmentGroup) {
    batch.skipped = `task ${text(row.number)} is not assigned to the group`;
  } else if (text(row.active) !== 'true') batch.skipped = `task ${text(row.number)} is not active`;
  else if (config.pollQuery !== undefined) {
    // The poll's extra query decides which tasks are ours; the hint must not widen it.
    const query = `sys_id=${sysId}^${config.pollQuery}`;
    let matches = false;
    for await (const _ of client.list(config.table, { query, fields: ['sys_id'] })) matches = true;
    if (!matches) batch.skipped = `task ${text(row.number)} does not match pollQuery`;
  }
  if (row !== null && batch.skipped === undefined) await addTask(config, client, row, batch);
  return batch;
}

const TASK_FIELDS = ['sys_id', 'number', 'state', 'sys_updated_on', 'request_item'];

async function addTask(
  config: ServiceNowSourceConfig,
  client: TableClient,
  row: TableRecord,
  batch: TaskBatch,
): Promise<void> {
  const task: PickedTask = {
    sysId: text(row.sys_id),
    number: text(row.number),
    state: text(row.state),
    updatedOn: text(row.sys_updated_on),
    missing: [],
  };
  batch.tasks.push(task);
  const record = await recordOf({ config, client, task, itemId: text(row.request_item) });
  if (record !== undefined) batch.records.push(record);
  else batch.problems.push(problemOf(config.name, task));
}

async function recordOf(options: {
  config: ServiceNowSourceConfig;
  client: TableClient;
  task: PickedTask;
  itemId: string;
}): Promise<SourceRecord | undefined> {
  const { config, client, task, itemId } = options;
  if (itemId === '') {
    task.missing.push('request_item');
    return undefined;
  }
  const wanted = [...new Set(['number', 'cat_item', ...Object.values(config.fields)])];
  const item = await client.get('sc_req_item', itemId, { fields: wanted, displayValue: 'all' });
  if (item === null) {
    task.refused = `requested item ${itemId} does not exist`;
    return undefined;
  }
  const itemName = pair(item.cat_item).display;
  task.kind = config.itemMap[itemName];
  if (task.kind === undefined) {
    const known = Object.keys(config.itemMap).join(', ');
    task.refused = `catalog item ${JSON.stringify(itemName)} is not in itemMap (${known})`;
    return undefined;
  }

  // A removal needs only who; the other requests need every mapped field.
  const attributes: Attributes = { request: task.kind };
  for (const [attr, field] of Object.entries(config.fields)) {
    const value = pair(item[field]).value;
    if (value === '' && (attr === 'person' || task.kind !== 'leaver')) task.missing.push(field);
    else if (attr !== 'person' && value !== '') attributes[attr] = value;
  }
  const userId = pair(item[config.fields.person!]).value;
  if (task.missing.length > 0) return undefined;

  const userFields = [...new Set(['sys_id', ...Object.values(config.userFields)])];
  const user = await client.get('sys_user', userId, { fields: userFields });
  if (user === null) {
    task.refused = `requested person ${userId} does not exist in sys_user`;
    return undefined;
  }
  for (const [attr, field] of Object.entries(config.userFields)) {
    const value = text(user[field]);
    if (value !== '') attributes[attr] = value;
  }
  task.userSysId = userId;
  return {
    source: config.name,
    externalId: userId,
    state: task.kind === 'leaver' ? 'disabled' : 'active',
    attributes,
  };
}

/** The problem that names the task and what it lacks. */
export function problemOf(source: string, task: PickedTask): RecordProblem {
  if (task.missing.length > 0) {
    return {
      source,
      record: task.number,
      field: task.missing.join(', '),
      message: `task ${task.number}: the requested item has no ${task.missing.join(', ')}`,
      outcome: 'held',
    };
  }
  const reason = task.refused ?? 'cannot be read';
  return {
    source,
    record: task.number,
    message: `task ${task.number}: ${reason}`,
    outcome: 'held',
  };
}

/** A field read with `sysparm_display_value=all` is `{ value, display_value }`. */
function pair(field: unknown): { value: string; display: string } {
  if (field !== null && typeof field === 'object' && 'value' in field) {
    const f = field as { value?: unknown; display_value?: unknown };
    return { value: text(f.value), display: text(f.display_value ?? f.value) };
  }
  return { value: text(field), display: text(field) };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : value == null ? '' : String(value);
}

export type { TableRecord };
