/**
 * AXL operations of the emulator. Each takes the parsed request body and returns what goes in
 * the response's `<return>` element: a uuid for add/update/remove, the item for get, the page
 * of items for list. Names are the keys (userid, pattern + partition, device name), as in AXL.
 */
import {
  AxlDb,
  AxlFault,
  duplicate,
  type EmuDirn,
  type EmuLine,
  type EmuPhoneLine,
  type EmuUser,
  lineKey,
  newUuid,
  notFound,
  stillReferenced,
} from './axl-db.ts';

type Node = Record<string, unknown>;
type Handler = (db: AxlDb, body: Node) => unknown;

const USER_SCALARS = ['firstName', 'lastName', 'mailid', 'telephoneNumber', 'presenceGroupName'];
const LINE_SCALARS = ['description', 'usage', 'alertingName', 'asciiAlertingName'];
const FORWARDS = ['callForwardAll', 'callForwardBusy', 'callForwardNoAnswer'];
const PHONE_REFS = [
  'devicePoolName',
  'callingSearchSpaceName',
  'phoneTemplateName',
  'locationName',
  'commonPhoneConfigName',
  'ownerUserName',
];
const PHONE_REQUIRED = ['name', 'product', 'class', 'protocol', 'protocolSide', 'devicePoolName'];

export const HANDLERS: Record<string, Handler> = {
  addUser(db, body) {
    const user = node(body.user);
    const userid = required(user, 'userid');
    required(user, 'lastName');
    if (db.users.has(userid)) throw duplicate('enduser_userid');
    db.requireReference('presenceGroupName', text(user.presenceGroupName));
    const devices = items(node(user.associatedDevices).device).map(text).filter(nonEmpty);
    for (const d of devices) db.requireReference('device', d);
    const uuid = newUuid();
    const added: EmuUser = {
      uuid,
      fields: pick(user, ['userid', ...USER_SCALARS]),
      associatedDevices: devices,
    };
    setExtensions(db, added, user);
    db.users.set(userid, added);
    return uuid;
  },
  getUser(db, body) {
    const user = db.users.get(required(body, 'userid'));
    if (user === undefined) throw notFound('User', false);
    const all = {
      ...user.fields,
      associatedDevices: { device: user.associatedDevices },
      ...extensionsOf(user),
    };
    return { user: { '@_uuid': user.uuid, ...returned(all, body.returnedTags) } };
  },
  updateUser(db, body) {
    const user = db.users.get(required(body, 'userid'));
    if (user === undefined) throw notFound('User', true);
    if (body.associatedDevices !== undefined) {
      const devices = items(node(body.associatedDevices).device).map(text).filter(nonEmpty);
      for (const d of devices) db.requireReference('device', d);
      // AXL replaces the whole list: whatever the request leaves out is dropped.
      user.associatedDevices = [...new Set(devices)];
    }
    setExtensions(db, user, body);
    Object.assign(user.fields, pick(body, USER_SCALARS));
    return user.uuid;
  },
  removeUser(db, body) {
    const userid = required(body, 'userid');
    const user = db.users.get(userid);
    if (user === undefined) throw notFound('User', false);
    const owns = [...db.phones.values()].some((p) => p.fields.ownerUserName === userid);
    if (owns) throw stillReferenced('fk_device_fkenduser_owner');
    db.users.delete(userid);
    return user.uuid;
  },
  listUser(db, body) {
    const users = sorted(db.users, (u) => ({ '@_uuid': u.uuid, ...u.fields }));
    const found = page(filter(users, body.searchCriteria), body);
    return {
      user: found.map((u) => {
        const all = { ...u, ...extensionsOf(db.users.get(text(u.userid))!) };
        return returned(all, body.returnedTags);
      }),
    };
  },

  addLine(db, body) {
    const line = node(body.line);
    const pattern = required(line, 'pattern');
    const partition = text(line.routePartitionName);
    db.requireReference('routePartitionName', partition);
    if (db.lines.has(lineKey(pattern, partition))) throw duplicate('numplan_dnorpattern');
    const uuid = newUuid();
    const fields = { pattern, routePartitionName: partition, ...pick(line, LINE_SCALARS) };
    const added: EmuLine = { uuid, fields };
    setForwards(db, added, line);
    db.lines.set(lineKey(pattern, partition), added);
    return uuid;
  },
  getLine(db, body) {
    const line = db.lines.get(lineKey(required(body, 'pattern'), text(body.routePartitionName)));
    if (line === undefined) throw notFound('Line', false);
    const all: Node = { ...line.fields };
    for (const kind of FORWARDS) {
      const css = line.forwardCss?.[kind] ?? '';
      all[kind] = { callingSearchSpaceName: css, destination: line.forwards?.[kind] ?? '' };
    }
    // Read-only: the devices the line is on, as getLine reports them.
    const devices = db.phonesOnLine(
      text(line.fields.pattern),
      text(line.fields.routePartitionName),
    );
    all.associatedDevices = { device: devices.map((p) => text(p.fields.name)) };
    return { line: { '@_uuid': line.uuid, ...returned(all, body.returnedTags) } };
  },
  updateLine(db, body) {
    const line = db.lines.get(lineKey(required(body, 'pattern'), text(body.routePartitionName)));
    if (line === undefined) throw notFound('Line', true);
    // Forwards first: a refused calling search space leaves the whole line unchanged.
    setForwards(db, line, body);
    Object.assign(line.fields, pick(body, LINE_SCALARS));
    return line.uuid;
  },
  removeLine(db, body) {
    const pattern = required(body, 'pattern');
    const partition = text(body.routePartitionName);
    const line = db.lines.get(lineKey(pattern, partition));
    if (line === undefined) throw notFound('Line', false);
    if (db.phonesOnLine(pattern, partition).length > 0) {
      throw stillReferenced('fk_devicenumplanmap_fknumplan');
    }
    db.lines.delete(lineKey(pattern, partition));
    return line.uuid;
  },
  listLine(db, body) {
    const lines = sorted(db.lines, (l) => ({ '@_uuid': l.uuid, ...l.fields }));
    const found = filter(lines, body.searchCriteria);
    return { line: page(found, body).map((l) => returned(l, body.returnedTags)) };
  },

  addPhone(db, body) {
    const phone = node(body.phone);
    for (const field of PHONE_REQUIRED) required(phone, field);
    const name = text(phone.name);
    if (db.phones.has(name)) throw duplicate('device_name');
    for (const field of PHONE_REFS) db.requireReference(field, text(phone[field]));
    const lines = phoneLines(db, phone.lines);
    const uuid = newUuid();
    const fields = pick(
      phone,
      Object.keys(phone).filter((k) => k !== 'lines'),
    );
    db.phones.set(name, { uuid, fields, lines });
    return uuid;
  },
  getPhone(db, body) {
    const phone = db.phones.get(required(body, 'name'));
    if (phone === undefined) throw notFound('Phone', false);
    const lines = phone.lines.map((l) => ({
      index: l.index,
      dirn: { pattern: l.pattern, routePartitionName: l.partition },
    }));
    const all = { ...phone.fields, lines: { line: lines } };
    return { phone: { '@_uuid': phone.uuid, ...returned(all, body.returnedTags) } };
  },
  updatePhone(db, body) {
    const phone = db.phones.get(required(body, 'name'));
    if (phone === undefined) throw notFound('Phone', true);
    for (const field of PHONE_REFS) db.requireReference(field, text(body[field]));
    const removed = phoneLines(db, body.removeLines, false);
    const kept = phone.lines.filter((l) => !removed.some((r) => r.index === l.index));
    const added = phoneLines(db, body.addLines);
    if (added.some((a) => kept.some((k) => k.index === a.index))) {
      throw duplicate('devicenumplanmap_numplanindex');
    }
    phone.lines = [...kept, ...added].sort((a, b) => Number(a.index) - Number(b.index));
    const scalars = Object.keys(body).filter(
      (k) => !['name', 'removeLines', 'addLines'].includes(k),
    );
    Object.assign(phone.fields, pick(body, scalars));
    return phone.uuid;
  },
  removePhone(db, body) {
    const name = required(body, 'name');
    const phone = db.phones.get(name);
    if (phone === undefined) throw notFound('Phone', false);
    db.phones.delete(name);
    db.dropDevice(name);
    return phone.uuid;
  },
  listPhone(db, body) {
    const phones = sorted(db.phones, (p) => ({ '@_uuid': p.uuid, ...p.fields }));
    const found = page(filter(phones, body.searchCriteria), body);
    return { phone: found.map((p) => returned(p, body.returnedTags)) };
  },
};

/**
 * primaryExtension (`<pattern>` + `<routePartitionName>`) and ipccExtension (the pattern, with
 * the partition in ipccRoutePartition). An empty element clears the field.
 */
function setExtensions(db: AxlDb, user: EmuUser, body: Node): void {
  const next: Pick<EmuUser, 'primaryExtension' | 'ipccExtension'> = {};
  if (body.primaryExtension !== undefined) {
    const ext = node(body.primaryExtension);
    next.primaryExtension = dirnOrUndefined(text(ext.pattern), text(ext.routePartitionName));
  }
  if (body.ipccExtension !== undefined) {
    const pattern = text(body.ipccExtension);
    next.ipccExtension = dirnOrUndefined(pattern, text(body.ipccRoutePartition));
  }
  // Only the extensions this request names are checked, and all before any is stored.
  for (const dirn of Object.values(next)) {
    if (dirn !== undefined) db.requireExtension(user, dirn);
  }
  if ('primaryExtension' in next) user.primaryExtension = next.primaryExtension;
  if ('ipccExtension' in next) user.ipccExtension = next.ipccExtension;
}

function dirnOrUndefined(pattern: string, partition: string): EmuDirn | undefined {
  return pattern === '' ? undefined : { pattern, partition };
}

function extensionsOf(user: EmuUser): Node {
  const primary = user.primaryExtension;
  return {
    primaryExtension: {
      pattern: primary?.pattern ?? '',
      routePartitionName: primary?.partition ?? '',
    },
    ipccExtension: user.ipccExtension?.pattern ?? '',
    ipccRoutePartition: user.ipccExtension?.partition ?? '',
  };
}

/**
 * Stores each forward named in the request: its destination ('' clears it) and, when the
 * request names one, its calling search space (which must exist, -691 otherwise).
 */
function setForwards(db: AxlDb, line: EmuLine, body: Node): void {
  for (const kind of FORWARDS) {
    if (body[kind] === undefined) continue;
    const forward = node(body[kind]);
    if (forward.callingSearchSpaceName !== undefined) {
      const css = text(forward.callingSearchSpaceName);
      db.requireReference('callingSearchSpaceName', css);
      line.forwardCss = { ...line.forwardCss, [kind]: css };
    }
    if (forward.destination !== undefined) {
      line.forwards = { ...line.forwards, [kind]: text(forward.destination) };
    }
  }
}

function phoneLines(db: AxlDb, value: unknown, mustExist = true): EmuPhoneLine[] {
  const out: EmuPhoneLine[] = [];
  for (const line of items(node(value).line).map(node)) {
    const dirn = node(line.dirn);
    const entry = {
      index: required(line, 'index'),
      pattern: required(dirn, 'pattern'),
      partition: text(dirn.routePartitionName),
    };
    if (mustExist) db.requireLine(entry.pattern, entry.partition);
    if (out.some((o) => o.index === entry.index)) throw duplicate('devicenumplanmap_numplanindex');
    out.push(entry);
  }
  return out;
}

/**
 * Rows in a fixed order (by their key), so `skip` and `first` page through them without a row
 * seen twice or missed, as the database's ordered query does.
 */
function sorted<T>(rows: Map<string, T>, view: (row: T) => Node): Node[] {
  return [...rows.keys()].sort().map((key) => view(rows.get(key)!));
}

/** AXL `searchCriteria`: `%` is the SQL LIKE wildcard; several criteria all apply. */
function filter<T extends Record<string, unknown>>(rows: T[], criteria: unknown): T[] {
  const wanted = Object.entries(node(criteria)).map(([k, v]) => [k, like(text(v))] as const);
  return rows.filter((row) => wanted.every(([k, re]) => re.test(text(row[k]))));
}

function like(pattern: string): RegExp {
  const escaped = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*');
  return new RegExp(`^${escaped}$`, 's');
}

function page<T>(rows: T[], body: Node): T[] {
  const skip = Number(text(body.skip) || '0');
  const first = body.first === undefined ? rows.length : Number(text(body.first));
  if (!Number.isInteger(skip) || !Number.isInteger(first) || skip < 0 || first < 0) {
    throw new AxlFault(undefined, 'skip and first must be non-negative integers');
  }
  return rows.slice(skip, skip + first);
}

/** Only the tags asked for in `returnedTags`; all when none are named. */
export function returned(all: Record<string, unknown>, tags: unknown): Record<string, unknown> {
  const names = Object.keys(node(tags)).filter((k) => !k.startsWith('@_'));
  if (names.length === 0) return all;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(all)) {
    if (key.startsWith('@_') || names.includes(key)) out[key] = all[key];
  }
  return out;
}

export function required(body: Node, field: string): string {
  const value = text(body[field]);
  if (value === '') throw new AxlFault(5003, `${field} is required`);
  return value;
}

export function pick(body: Node, fields: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of fields) if (body[field] !== undefined) out[field] = text(body[field]);
  return out;
}

export function node(value: unknown): Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Node)
    : {};
}

export function items(value: unknown): unknown[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

export function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && '#text' in value) {
    return String((value as Node)['#text']);
  }
  return '';
}

function nonEmpty(value: string): boolean {
  return value !== '';
}
