/**
 * The `skills` attribute of a `uccx-agent`: `Sales:5, Support:7`, each a UCCX skill name and a
 * competence level from 1 to 10. The last `:` splits, so a name may itself hold one.
 */
import { CallsignError, ErrorCode } from '../../core/errors.ts';

/** Skill name to competence level; throws `rejected` naming the field and the bad item. */
export function parseSkills(
  target: string,
  key: string,
  value: string,
  field: string,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const raw of value.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const colon = item.lastIndexOf(':');
    const name = colon < 0 ? '' : item.slice(0, colon).trim();
    const level = colon < 0 ? NaN : Number(item.slice(colon + 1).trim());
    if (name === '' || !Number.isInteger(level) || level < 1 || level > 10) {
      const msg =
        `Target '${target}' uccx-agent '${key}': ${field} item '${item}' is not ` +
        'name:level with a competence level from 1 to 10';
      throw new CallsignError(ErrorCode.Rejected, msg, { details: { target, key, field } });
    }
    out.set(name, level);
  }
  return out;
}

/** The attribute form, sorted by name so equal sets compare equal. */
export function formatSkills(skills: { name: string; level: number }[]): string {
  return [...skills]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((s) => `${s.name}:${s.level}`)
    .join(',');
}
