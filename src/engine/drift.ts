/**
 * Drift: a linked resource removed from its target behind Callsign's back. A full sync reads a
 * rotating slice of the links back from their targets (all of them over enough runs, without
 * reading every resource at every run); a link whose resource the target no longer has is
 * dropped and reported, so the same run plans the resource as new and creates it again.
 */
import type { Link, RecordProblem } from '../core/model.ts';
import type { OperationRecord } from '../store/types.ts';
import type { Engine } from './engine.ts';

/** Links read back per full sync. */
export const DRIFT_CHECKS_PER_RUN = 100;
const CURSOR = 'drift.cursor';

/**
 * Checks the next slice of `links` (by person, changed in place) against their targets; drops
 * those whose resource is gone and returns a problem for each. Links with an unfinished
 * operation are left to it; a target that cannot be read is skipped this time.
 */
export async function dropDrifted(
  engine: Engine,
  links: Map<string, Link[]>,
  unfinished: readonly OperationRecord[],
  limit = DRIFT_CHECKS_PER_RUN,
): Promise<RecordProblem[]> {
  const busy = new Set(unfinished.map((op) => idOf(op)));
  const all = [...links.values()]
    .flat()
    // Write-back and inventory links name no target: they are not read back.
    .filter((l) => {
      const target = engine.targets.get(l.target);
      return target !== undefined && target.remembers !== false;
    })
    .filter((l) => !busy.has(idOf(l)) && !isForward(l))
    .sort((a, b) => (idOf(a) < idOf(b) ? -1 : 1));
  if (all.length === 0) return [];
  const cursor = (await engine.store.getState(CURSOR)) ?? '';
  const start = Math.max(
    0,
    all.findIndex((l) => idOf(l) > cursor),
  );
  const slice = [...all.slice(start), ...all.slice(0, start)].slice(0, limit);

  const problems: RecordProblem[] = [];
  for (const link of slice) {
    let found: unknown;
    try {
      found = await engine.targets.get(link.target)!.read(link.type, link.key);
    } catch (err) {
      engine.log.warn(
        { target: link.target, err: err instanceof Error ? err.message : String(err) },
        'drift check: target not readable',
      );
      continue;
    }
    if (found !== null) continue;
    await engine.store.deleteLink(link.personId, link.target, link.type, link.key);
    const own = links.get(link.personId) ?? [];
    links.set(
      link.personId,
      own.filter((l) => idOf(l) !== idOf(link)),
    );
    engine.log.warn({ personId: link.personId, target: link.target }, 'linked resource missing');
    problems.push({
      source: 'engine',
      record: link.personId,
      field: `${link.target}/${link.type}/${link.key}`,
      message: 'missing on the target (removed outside Callsign): planned to be created again',
    });
  }
  await engine.store.setState(CURSOR, idOf(slice[slice.length - 1]!));
  return problems;
}

/**
 * Leaver forwards are left out: their resource may be a kept carrier (a Unified CM directory
 * number turned around) that a read by the forward's own key does not see, and they end on
 * their own date anyway.
 */
function isForward(link: Link): boolean {
  return link.type === 'did-forward';
}

function idOf(r: { target: string; type: string; key: string; personId: string }): string {
  return `${r.target}/${r.type}/${r.key}/${r.personId}`;
}
