/**
 * Splits one full read into disjoint searches that can run on separate connections at once,
 * by the first character of one attribute (`cn` by default, a substring-matchable attribute
 * every person has in OpenLDAP and AD).
 *
 * The partitions are the source filter AND-ed with `(|(cn=a*)(cn=k*)…)` for buckets of digits
 * and ASCII letters; the last one also takes every entry that matches no bucket
 * (`(!(|(cn=0*)…(cn=z*)))`): first characters that are not ASCII, punctuation, an uppercase
 * letter under a case-exact rule, or no value at all. Every entry the source filter selects
 * therefore matches at least one partition. An entry with several values (OpenLDAP's `cn` is
 * multi-valued) can match two, so the reader drops repeated DNs.
 *
 * The attribute must have a substring matching rule: without one the server evaluates `(x=a*)`
 * as Undefined, and RFC 4511 §4.5.1.7 makes the complement Undefined too, so entries would be
 * in no partition. `cn`, `uid`, `sAMAccountName`, `mail` have one; entryUUID and objectGUID do
 * not, and are refused.
 */
import { escapeFilterValue } from './filter.ts';

/** Attributes known to have no substring rule: partitions on them would silently miss people. */
const NOT_SUBSTRING = new Set(['entryuuid', 'objectguid', 'objectsid', 'usnchanged']);

/** Characters a bucket can start with; everything else lands in the last partition. */
const FIRST_CHARACTERS = [...'0123456789abcdefghijklmnopqrstuvwxyz'];

/** The most partitions: one per character above. */
export const MAX_PARALLEL_READS = FIRST_CHARACTERS.length;

/**
 * The filters of `count` partitions of `filter` (just `[filter]` for one). Throws a TypeError
 * for an attribute that cannot partition or a count out of range.
 */
export function partitionFilters(filter: string, attribute: string, count: number): string[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_PARALLEL_READS) {
    throw new TypeError(`parallelReads must be an integer from 1 to ${MAX_PARALLEL_READS}`);
  }
  if (count === 1) return [filter];
  if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(attribute)) {
    throw new TypeError(`'${attribute}' is not an attribute name`);
  }
  if (NOT_SUBSTRING.has(attribute.toLowerCase())) {
    throw new TypeError(`${attribute} has no substring matching rule and cannot split a read`);
  }

  const base = filter.trim().startsWith('(') ? filter.trim() : `(${filter.trim()})`;
  const starts = (c: string) => `(${attribute}=${escapeFilterValue(c)}*)`;
  const buckets: string[][] = Array.from({ length: count }, () => []);
  FIRST_CHARACTERS.forEach((c, i) => buckets[i % count]!.push(starts(c)));
  const rest = `(!(|${FIRST_CHARACTERS.map(starts).join('')}))`;

  return buckets.map((bucket, i) => {
    const own = i === count - 1 ? [...bucket, rest] : bucket;
    return `(&${base}(|${own.join('')}))`;
  });
}
