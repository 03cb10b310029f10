/**
 * What Unified CM holds, read in pages for reconciliation (`callsign numbers reconcile`): end
 * users, directory numbers and phones through listUser, listLine and listPhone. AXL pages with
 * `skip` (rows passed over) and `first` (rows wanted); a page shorter than `first` is the last.
 * A line's holder is the end user whose primary extension it is, in Unified CM's own terms (the
 * userid); a line nobody has as primary is named by its alerting name or description.
 */
import type { PlatformNumber } from '../types.ts';
import { type AxlNode, child, list, textOf } from './axl-xml.ts';
import { type CucmContext, formatDirn } from './cucm-context.ts';

export interface CucmUserRow {
  userid: string;
  firstName: string;
  lastName: string;
  telephoneNumber: string;
  /** `pattern@partition`, '' when the user has none. */
  primaryExtension: string;
}

export interface CucmPhoneRow {
  name: string;
  description: string;
  product: string;
  ownerUserName: string;
  devicePoolName: string;
}

export interface CucmLineRow {
  pattern: string;
  partition: string;
  description: string;
  alertingName: string;
}

/** Every end user. */
export async function* listUsers(ctx: CucmContext, page: number): AsyncGenerator<CucmUserRow> {
  const tags = {
    userid: '',
    firstName: '',
    lastName: '',
    telephoneNumber: '',
    primaryExtension: { pattern: '', routePartitionName: '' },
  };
  for await (const u of listPaged(ctx, 'listUser', { userid: '%' }, tags, 'user', page)) {
    const primary = child(u, 'primaryExtension');
    const pattern = textOf(primary?.pattern) ?? '';
    const partition = textOf(primary?.routePartitionName) ?? '';
    yield {
      userid: textOf(u.userid) ?? '',
      firstName: textOf(u.firstName) ?? '',
      lastName: textOf(u.lastName) ?? '',
      telephoneNumber: textOf(u.telephoneNumber) ?? '',
      primaryExtension: pattern === '' ? '' : formatDirn({ pattern, partition }),
    };
  }
}

/** Every phone and softphone (listPhone does not return lines; getPhone does). */
export async function* listPhones(ctx: CucmContext, page: number): AsyncGenerator<CucmPhoneRow> {
  const fields = ['name', 'description', 'product', 'ownerUserName', 'devicePoolName'] as const;
  const tags = Object.fromEntries(fields.map((f) => [f, '']));
  for await (const p of listPaged(ctx, 'listPhone', { name: '%' }, tags, 'phone', page)) {
    const row = Object.fromEntries(fields.map((f) => [f, textOf(p[f]) ?? '']));
    yield row as unknown as CucmPhoneRow;
  }
}

/** Every directory number, in any partition. */
export async function* listLineRows(ctx: CucmContext, page: number): AsyncGenerator<CucmLineRow> {
  const tags = { pattern: '', description: '', alertingName: '', routePartitionName: '' };
  for await (const l of listPaged(ctx, 'listLine', { pattern: '%' }, tags, 'line', page)) {
    yield {
      pattern: textOf(l.pattern) ?? '',
      partition: textOf(l.routePartitionName) ?? '',
      description: textOf(l.description) ?? '',
      alertingName: textOf(l.alertingName) ?? '',
    };
  }
}

/** Every directory number as a platform number, with the user it is primary for as owner. */
export async function* listNumbers(ctx: CucmContext, page: number): AsyncGenerator<PlatformNumber> {
  const holders = new Map<string, string>();
  for await (const user of listUsers(ctx, page)) {
    if (user.primaryExtension !== '') holders.set(user.primaryExtension, user.userid);
  }
  for await (const line of listLineRows(ctx, page)) {
    const dirn = formatDirn(line);
    // `\+14085550100` (AXL escapes the plus) is a DID; digits alone an extension.
    const did = /^\\?\+\d+$/.test(line.pattern);
    const value = did ? `+${line.pattern.replace(/^\\?\+/, '')}` : line.pattern;
    const owner = holders.get(dirn) || line.alertingName || line.description || dirn;
    yield { value, kind: did ? 'did' : 'extension', owner };
  }
}

/** One list operation, page after page, until a page comes back short. */
async function* listPaged(
  ctx: CucmContext,
  operation: string,
  searchCriteria: AxlNode,
  returnedTags: AxlNode,
  item: string,
  page: number,
): AsyncGenerator<AxlNode> {
  const subject = { subject: `${item}s` };
  for (let skip = 0; ; skip += page) {
    const body = { searchCriteria, returnedTags, skip: String(skip), first: String(page) };
    const answer = await ctx.axl.call(operation, body, subject);
    const rows = list(child(answer, 'return'), item);
    yield* rows;
    if (rows.length < page) return;
  }
}
