import type { PersonPlan, PlannedOperation } from '../core/model.ts';
import type { RunReport } from '../engine/reconcile.ts';
import type { PoolChange } from '../store/types.ts';

const SIGN = { create: '+', update: '~', delete: '-' } as const;

/** Prints a run report for people: per person what changes, then problems and totals. */
export function printReport(report: RunReport, out: (line: string) => void): void {
  const dry = report.mode === 'plan';
  out(dry ? 'Plan (dry run: nothing was changed)' : `Run ${report.runId}`);
  for (const s of report.sources) {
    const state = s.complete ? 'complete' : s.error ? `FAILED (${s.error.message})` : 'INCOMPLETE';
    out(`  source ${s.name}: ${s.records} records, ${state}`);
  }
  if (report.sources.some((s) => !s.complete)) {
    out('  people of an incomplete source keep what they have: nobody is removed because of it');
  }

  out('');
  for (const plan of report.plans) printPlan(plan, out);
  if (report.plans.every((p) => p.operations.length === 0)) out('No changes.');

  if (report.problems.length > 0) {
    out('');
    out(`Problems (${report.problems.length}):`);
    for (const p of report.problems) {
      out(`  ${p.source} ${p.record}${p.field ? ` field ${p.field}` : ''}: ${p.message}`);
    }
  }

  out('');
  const counts = Object.entries(report.counts)
    .filter(([k, n]) => k !== 'unchanged' && n && n > 0)
    .map(([k, n]) => `${n} ${k}`);
  const ops = report.plans.reduce((n, p) => n + p.operations.length, 0);
  out(`Summary: ${counts.join(', ') || 'no lifecycle changes'}; ${ops} operations`);
  if (report.brake) {
    out(
      `SAFETY BRAKE: ${report.brake.reason} ` +
        `(${report.brake.deprovision} of ${report.brake.known}).`,
    );
    if (!dry) {
      out(`Nothing was run. Review with 'callsign plan', then 'callsign approve ${report.runId}'`);
      out(`or 'callsign reject ${report.runId}'.`);
    }
  }
  if (report.execution) {
    const e = report.execution;
    out(`Executed: ${e.done} done, ${e.failed} failed, ${e.retried} retried; run ${report.state}`);
  }
  if (report.credentials.length > 0) {
    out('');
    out('New credentials (shown this once; hand them to their owners now):');
    for (const c of report.credentials) {
      if (c.sentTo === undefined) out(`  ${c.label}  ${c.resource}  secret: ${c.secret}`);
      else if (c.mail === 'queued') out(`  ${c.label}  ${c.resource}  queued for ${c.sentTo}`);
      else out(`  ${c.label}  ${c.resource}  sent to ${c.sentTo}`);
    }
  }
}

function printPlan(plan: PersonPlan, out: (line: string) => void): void {
  out(`${plan.label} [${plan.lifecycle}]`);
  for (const op of plan.operations) out(`  ${SIGN[op.action]} ${describe(op)}`);
  for (const p of plan.problems) out(`  ! ${p.field ? `${p.field}: ` : ''}${p.message}`);
}

function describe(op: PlannedOperation): string {
  const attrs = Object.entries(op.attributes)
    .filter(([name]) => !/password|secret/i.test(name))
    .map(([name, value]) => {
      const before = op.before?.[name];
      return before !== undefined ? `${name}: ${before} -> ${value}` : `${name}=${value}`;
    });
  const secret = op.secret && op.action === 'create' ? ' (+ generated secret)' : '';
  const detail = attrs.length > 0 ? `  ${attrs.join(' ')}` : '';
  return `${op.target}/${op.type} ${op.key}${detail}${secret}`;
}

/** A dry run applies no pool definition: say what the next sync will change in each pool. */
export function poolChangeLines(changes: readonly PoolChange[]): string[] {
  if (changes.length === 0) return [];
  const lines = ['', 'Pool definitions changed (not applied by plan; the next sync applies them):'];
  for (const c of changes) {
    if (c.isNew) {
      lines.push(`  ${c.pool}: new pool, ${c.added} numbers to add`);
      continue;
    }
    const parts: string[] = [];
    if (c.added > 0) parts.push(`${c.added} numbers added`);
    if (c.retired > 0) parts.push(`${c.retired} free numbers retired`);
    if (c.restored > 0) parts.push(`${c.restored} retired numbers back in range`);
    if (c.outOfRange.length > 0) {
      const shown = c.outOfRange.slice(0, 5).join(', ');
      const more = c.outOfRange.length > 5 ? ` and ${c.outOfRange.length - 5} more` : '';
      parts.push(`${c.outOfRange.length} numbers in use left out of range (${shown}${more})`);
    }
    if (c.settings) parts.push('settings changed');
    lines.push(`  ${c.pool}: ${parts.join('; ')}`);
  }
  return lines;
}
