/**
 * The ServiceNow emulator's tables: sys_user, sys_user_group, sc_cat_item, sc_req_item (with
 * catalog variables), sc_task and sys_journal_field, each a map of sys_id → field values. It
 * evaluates the encoded-query subset Callsign uses (`=`, `!=`, `>`, `>=`, `<`, `<=`, `^` for
 * AND, ORDERBY and ORDERBYDESC) and renders fields as the Table API does for each
 * `sysparm_display_value` (false, true, all). Work notes are journal entries, never a field.
 */
import { randomBytes } from 'node:crypto';

export type Row = Record<string, string>;

/** Reference fields per table and the table each points to. */
export const REFERENCES: Record<string, Record<string, string>> = {
  sc_task: {
    assignment_group: 'sys_user_group',
    assigned_to: 'sys_user',
    request_item: 'sc_req_item',
  },
  sc_req_item: { cat_item: 'sc_cat_item', requested_for: 'sys_user' },
  sys_user: {},
  sys_user_group: {},
  sc_cat_item: {},
  sys_journal_field: {},
};
const DISPLAY_FIELD: Record<string, string> = {
  sys_user: 'name',
  sys_user_group: 'name',
  sc_cat_item: 'name',
  sc_req_item: 'number',
  sc_task: 'number',
  sys_journal_field: 'value',
};
const TASK_STATES: Record<string, string> = {
  '1': 'Open',
  '2': 'Work in Progress',
  '3': 'Closed Complete',
  '4': 'Closed Incomplete',
  '7': 'Closed Skipped',
};
const TERM = /^([A-Za-z0-9_.]+?)(>=|<=|!=|=|>|<)(.*)$/s;

/** A refused request, answered in ServiceNow's error shape. */
export class SnFault extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly detail: string,
  ) {
    super(message);
  }
}

export class SnDb {
  readonly tables = new Map<string, Map<string, Row>>(
    Object.keys(REFERENCES).map((t) => [t, new Map()]),
  );
  /** Catalog variables of each requested item, by the item's sys_id. */
  readonly variables = new Map<string, Row>();
  #numbers = 10000;
  readonly #clock: () => Date;

  constructor(clock: () => Date) {
    this.#clock = clock;
  }

  /** `YYYY-MM-DD HH:mm:ss` in UTC, as the Table API writes glide date-times. */
  now(): string {
    return this.#clock().toISOString().slice(0, 19).replace('T', ' ');
  }

  insert(table: string, fields: Row): Row {
    const rows = this.#table(table);
    const now = this.now();
    const row: Row = { sys_id: randomBytes(16).toString('hex'), sys_created_on: now, ...fields };
    row.sys_updated_on = now;
    row.sys_mod_count = '0';
    rows.set(row.sys_id!, row);
    return row;
  }

  nextNumber(prefix: string): string {
    return `${prefix}${String(++this.#numbers).padStart(7, '0')}`;
  }

  get(table: string, sysId: string): Row | undefined {
    return this.#table(table).get(sysId);
  }

  /** Rows matching an encoded query, ordered as it says. */
  query(table: string, encoded: string): Row[] {
    const filters: ((row: Row) => boolean)[] = [];
    const orders: { field: string; desc: boolean }[] = [];
    for (const term of encoded.split('^').filter((t) => t !== '')) {
      if (term.startsWith('ORDERBYDESC')) orders.push({ field: term.slice(11), desc: true });
      else if (term.startsWith('ORDERBY')) orders.push({ field: term.slice(7), desc: false });
      else filters.push(this.#filter(table, term));
    }
    const rows = [...this.#table(table).values()].filter((r) => filters.every((f) => f(r)));
    return rows.sort((a, b) => {
      for (const { field, desc } of orders) {
        const x = this.value(table, a, field);
        const y = this.value(table, b, field);
        if (x !== y) return (x < y ? -1 : 1) * (desc ? -1 : 1);
      }
      return 0;
    });
  }

  /** A field's raw value; `variables.x` and one-level dot-walks are followed. */
  value(table: string, row: Row, field: string): string {
    if (field.startsWith('variables.') && table === 'sc_req_item') {
      return this.variables.get(row.sys_id!)?.[field.slice(10)] ?? '';
    }
    const dot = field.indexOf('.');
    if (dot > 0) {
      const refTable = REFERENCES[table]?.[field.slice(0, dot)];
      const target = refTable ? this.get(refTable, row[field.slice(0, dot)] ?? '') : undefined;
      return target && refTable ? this.value(refTable, target, field.slice(dot + 1)) : '';
    }
    return row[field] ?? '';
  }

  /** A field as the Table API renders it for `sysparm_display_value`. */
  render(table: string, row: Row, field: string, mode: string): unknown {
    const value = this.value(table, row, field);
    const display = this.#display(table, row, field, value);
    if (mode === 'all') return { display_value: display, value };
    return mode === 'true' ? display : value;
  }

  /** Every field name of a row, for a GET without `sysparm_fields`. */
  fieldsOf(table: string, row: Row): string[] {
    const names = Object.keys(row);
    return table === 'sc_task' ? [...names, 'work_notes'] : names;
  }

  /** The work notes of a record, oldest first. */
  journal(sysId: string): Row[] {
    return this.query('sys_journal_field', `element_id=${sysId}^element=work_notes`).sort(
      (a, b) => Number(a.seq) - Number(b.seq),
    );
  }

  /** Resolves a reference value: a sys_id, or (with display values allowed) a display name. */
  reference(table: string, field: string, value: string, byDisplay: boolean): string {
    const refTable = REFERENCES[table]?.[field];
    if (refTable === undefined || value === '') return value;
    if (/^[0-9a-f]{32}$/.test(value) && this.get(refTable, value)) return value;
    if (byDisplay) {
      const key = DISPLAY_FIELD[refTable]!;
      const match = [...this.#table(refTable).values()].find((r) => r[key] === value);
      if (match) return match.sys_id!;
    }
    throw new SnFault(
      400,
      'Invalid reference',
      `${field}: ${JSON.stringify(value)} is not a sys_id of ${refTable}` +
        (byDisplay ? '' : ' (send sysparm_input_display_value=true to set it by name)'),
    );
  }

  #display(table: string, row: Row, field: string, value: string): string {
    if (field === 'work_notes') {
      return this.journal(row.sys_id!)
        .reverse()
        .map((j) => `${j.sys_created_on} - ${j.sys_created_by} (Work notes)\n${j.value}\n\n`)
        .join('');
    }
    if (table === 'sc_task' && field === 'state') return TASK_STATES[value] ?? value;
    const refTable = REFERENCES[table]?.[field];
    if (refTable === undefined || value === '') return value;
    const target = this.get(refTable, value);
    return target ? (target[DISPLAY_FIELD[refTable]!] ?? '') : '';
  }

  #filter(table: string, term: string): (row: Row) => boolean {
    const m = TERM.exec(term);
    if (m === null) throw new SnFault(400, 'Invalid query', `cannot parse ${JSON.stringify(term)}`);
    const [, field, op, want] = m as unknown as [string, string, string, string];
    return (row) => {
      const have = this.value(table, row, field);
      if (op === '=') return have === want;
      if (op === '!=') return have !== want;
      if (op === '>') return have > want;
      if (op === '>=') return have >= want;
      if (op === '<') return have < want;
      return have <= want;
    };
  }

  #table(table: string): Map<string, Row> {
    const rows = this.tables.get(table);
    if (rows === undefined) {
      throw new SnFault(400, 'Invalid table', `Invalid table ${table}`);
    }
    return rows;
  }
}
