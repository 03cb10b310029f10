import type { SourceConnector } from '../connectors/types.ts';
import { toCallsignError } from '../core/errors.ts';
import type {
  Attributes,
  Person,
  PersonStatus,
  RecordProblem,
  Snapshot,
  SourceRecord,
} from '../core/model.ts';

/** How one source's read went, for the run report. */
export interface SourceReport {
  name: string;
  complete: boolean;
  records: number;
  problems: Snapshot['problems'];
  /** Set when the source could not be read at all. */
  error?: { code: string; message: string };
}

/**
 * Reads every source in full. A source that fails is reported and yields an incomplete, empty
 * snapshot: its people keep their state, so a failed read never de-provisions anyone.
 */
export async function readSources(
  sources: Iterable<SourceConnector>,
  signal?: AbortSignal,
): Promise<{ snapshots: Snapshot[]; reports: SourceReport[] }> {
  const snapshots: Snapshot[] = [];
  const reports: SourceReport[] = [];
  for (const source of sources) {
    try {
      const snapshot = await source.readAll(signal);
      snapshots.push(snapshot);
      reports.push({
        name: source.name,
        complete: snapshot.complete,
        records: snapshot.records.length,
        problems: snapshot.problems,
      });
    } catch (err) {
      const error = toCallsignError(err);
      snapshots.push({ source: source.name, records: [], complete: false, problems: [] });
      reports.push({
        name: source.name,
        complete: false,
        records: 0,
        problems: [{ source: source.name, record: '(whole source)', message: error.message }],
        error: { code: error.code, message: error.message },
      });
    }
  }
  return { snapshots, reports };
}

/**
 * The person as the sources now describe them. Records of several sources merge in source order
 * (the first source that has an attribute wins). A link whose record is absent from a complete
 * snapshot counts as deleted once its source's grace period has passed since it first went
 * missing (`missingSince`); until then, and when absent from an incomplete snapshot, it keeps
 * its last known state.
 */
export function mergePerson(options: {
  previous: Person;
  records: SourceRecord[];
  completeSources: ReadonlySet<string>;
  sourceOrder: readonly string[];
  /** Now, for the grace period; required when any grace is above 0. */
  now?: Date;
  /** Seconds a link may be missing before it counts as deleted; absent means 0. */
  graceSeconds?: (source: string) => number;
}): Person {
  const { previous, records, completeSources, sourceOrder } = options;
  const bySource = new Map<string, SourceRecord>();
  for (const r of records) bySource.set(`${r.source}\u0000${r.externalId}`, r);
  const now = options.now ?? new Date();

  // Copies: the previous person must not change under the caller.
  const links = previous.sourceLinks.map((l) => ({ ...l }));
  for (const r of records) {
    if (!links.some((l) => l.source === r.source && l.externalId === r.externalId)) {
      links.push({ source: r.source, externalId: r.externalId, dn: r.dn });
    }
  }

  const states: PersonStatus[] = [];
  let attributes: Attributes = {};
  const rank = (s: string) => sourceOrder.indexOf(s);
  const ordered = [...links].sort((a, b) => rank(b.source) - rank(a.source));
  for (const link of ordered) {
    const record = bySource.get(`${link.source}\u0000${link.externalId}`);
    if (record) {
      delete link.missingSince;
      link.dn = record.dn ?? link.dn;
      states.push(record.state);
      // A deletion carries no attributes: the person keeps the last ones known.
      const seen = record.state === 'deleted' ? previous.attributes : record.attributes;
      attributes = { ...attributes, ...seen };
    } else if (completeSources.has(link.source)) {
      const grace = options.graceSeconds?.(link.source) ?? 0;
      if (grace > 0) link.missingSince ??= now.toISOString();
      const since = Date.parse(link.missingSince ?? now.toISOString());
      if (grace > 0 && now.getTime() - since < grace * 1000) {
        states.push(previous.status);
        attributes = { ...previous.attributes, ...attributes };
      } else states.push('deleted');
    } else {
      states.push(previous.status);
      attributes = { ...previous.attributes, ...attributes };
    }
  }

  const status: PersonStatus = states.includes('active')
    ? 'active'
    : states.includes('disabled')
      ? 'disabled'
      : states.length > 0
        ? 'deleted'
        : previous.status;
  const merged = records.length > 0 ? attributes : previous.attributes;
  return { ...previous, attributes: merged, status, sourceLinks: links };
}

/**
 * Problems for the links of a person still inside their grace period: absent from a complete
 * read, not yet counted as leaving. The plan shows them so the administrator sees it coming.
 */
export function pendingMissing(options: {
  person: Person;
  now: Date;
  graceSeconds: (source: string) => number;
  label: string;
}): RecordProblem[] {
  const { person, now, graceSeconds, label } = options;
  const out: RecordProblem[] = [];
  for (const link of person.sourceLinks) {
    if (link.missingSince === undefined) continue;
    const since = Date.parse(link.missingSince);
    const leaves = since + graceSeconds(link.source) * 1000;
    if (now.getTime() >= leaves) continue;
    const message =
      `absent from source ${link.source} since ${link.missingSince}; ` +
      `leaves after ${new Date(leaves).toISOString()}`;
    out.push({ source: link.source, record: label, field: 'missingSince', message });
  }
  return out;
}
