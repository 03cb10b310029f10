import type { Link } from './model.ts';

/**
 * Whether a resource carries a number: its key or one of its applied attributes is the number,
 * digits compared (platforms write `+12125550100`, `12125550100` or `\+12125550100`).
 */
export function linkCarries(link: Pick<Link, 'key' | 'attributes'>, value: string): boolean {
  const wanted = digitsOf(value);
  if (wanted === '') return false;
  return [link.key, ...Object.values(link.attributes)].some(
    (v) => typeof v === 'string' && digitsOf(v) === wanted,
  );
}

function digitsOf(s: string): string {
  return s.replace(/[^0-9]/g, '');
}
