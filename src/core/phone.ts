/**
 * Canonical phone numbers. Inside Callsign a number is E.164 with the extension kept apart
 * (`+19085550100` and `123`), never glued on (`+19085550100123` is another number). As one
 * string the canonical form is `+19085550100;ext=123`, the extension parameter of RFC 3966
 * §5.1.5 without the `tel:` scheme. Each directory syntax gets its own rendering at the edge.
 */
import {
  getCountryCallingCode,
  isSupportedCountry,
  parsePhoneNumberFromString,
  type CountryCode,
} from 'libphonenumber-js';
import { parsePhoneNumberFromString as parseWithFullMetadata } from 'libphonenumber-js/max';

/** A parsed number: E.164 digits with `+`, and the extension digits if any. */
export interface PhoneValue {
  e164: string;
  extension?: string;
}

export type PhoneParseResult = { ok: true; phone: PhoneValue } | { ok: false; problem: string };

/**
 * How a number is written out:
 * - `e164`: the canonical string, `+19085550100` or `+19085550100;ext=123`.
 * - `ad`: what Active Directory's Unicode-string phone attributes take; the canonical string.
 * - `rfc3966`: a `tel:` URI with visual separators, `tel:+1-908-555-0100;ext=123`.
 * - `printable`: safe for X.520 PrintableString (OpenLDAP `telephoneNumber`), which refuses
 *   `;`, `*` and `#`: `+1 908 555 0100 x123`.
 */
export type PhoneStyle = 'e164' | 'rfc3966' | 'printable' | 'ad';

/**
 * Parses a number as people type it (`(908) 555-0100 ext. 123`, `908.555.0100 #123`,
 * `+19085550100;ext=123`, `tel:` URIs). `defaultRegion` (ISO 3166 alpha-2) applies to numbers
 * written without a country code.
 */
export function parsePhone(input: string, defaultRegion?: string): PhoneParseResult {
  const text = input.trim();
  if (text === '') return { ok: false, problem: 'Phone number is empty' };

  const region = defaultRegion?.toUpperCase() as CountryCode | undefined;
  if (region !== undefined && !isSupportedCountry(region)) {
    return { ok: false, problem: `'${defaultRegion}' is not a known region code` };
  }
  const options = region === undefined ? {} : { defaultCountry: region };
  const parsed = parsePhoneNumberFromString(text, options);
  if (parsed === undefined) {
    return { ok: false, problem: `'${input}' is not a phone number` };
  }
  if (!parsed.isValid()) {
    const where = region === undefined ? '' : ` (default region ${region})`;
    return { ok: false, problem: `'${input}' is not a valid phone number${where}` };
  }

  const extension = parsed.ext === undefined ? undefined : String(parsed.ext);
  if (extension !== undefined && !EXTENSION.test(extension)) {
    return { ok: false, problem: `'${input}' has an extension that is not digits` };
  }
  const phone: PhoneValue = { e164: parsed.number };
  if (extension !== undefined) phone.extension = extension;
  return { ok: true, phone };
}

/** Renders a parsed number in one of the styles (see PhoneStyle). */
export function formatPhone(value: PhoneValue, style: PhoneStyle): string {
  if (style === 'e164' || style === 'ad') return toCanonical(value);

  const parsed = parsePhoneNumberFromString(value.e164);
  if (parsed === undefined) throw new TypeError(`'${value.e164}' is not an E.164 number`);
  const international = parsed.formatInternational();

  if (style === 'rfc3966') {
    // RFC 3966 §5.1.1: visual separators in a global number are '-', '.', '(' and ')'.
    const global = international.replace(/[^0-9+]+/g, '-');
    return `tel:${global}${value.extension === undefined ? '' : `;ext=${value.extension}`}`;
  }

  // PrintableString (RFC 4517 §3.3.29) allows letters, digits, space and '()+,-./:?= only.
  const printable = international.replace(/[^A-Za-z0-9 '()+,\-./:?=]+/g, ' ');
  return value.extension === undefined ? printable : `${printable} x${value.extension}`;
}

/** The canonical one-string form: `+19085550100` or `+19085550100;ext=123`. */
export function toCanonical(value: PhoneValue): string {
  return value.extension === undefined ? value.e164 : `${value.e164};ext=${value.extension}`;
}

/** Reads the canonical string back; undefined when it is not canonical. */
export function fromCanonical(value: string): PhoneValue | undefined {
  const match = CANONICAL.exec(value);
  if (match === null) return undefined;
  const [, e164, extension] = match;
  return extension === undefined ? { e164: e164! } : { e164: e164!, extension };
}

/** True for an extension held as a bare digit string (`4711`), which no style changes. */
export function isExtensionDigits(value: string): boolean {
  return EXTENSION.test(value);
}

/**
 * Formats a canonical value as it travels between engine and connectors: an E.164 number
 * (optionally with `;ext=`) gets the style; a bare extension passes through as digits.
 * Throws TypeError for anything else, since the caller holds a value it should not have.
 */
export function formatCanonical(value: string, style: PhoneStyle): string {
  if (isExtensionDigits(value)) return value;

  const phone = fromCanonical(value);
  if (phone === undefined) {
    throw new TypeError(`'${value}' is neither E.164 (with optional ;ext=) nor extension digits`);
  }
  return formatPhone(phone, style);
}

const EXTENSION = /^[0-9]{1,20}$/;
const CANONICAL = /^(\+[1-9][0-9]{1,14})(?:;ext=([0-9]{1,20}))?$/;

/**
 * The region (ISO 3166) an E.164 number belongs to, read with the full numbering metadata so
 * that regions sharing a country code (+1: US, CA, the Caribbean) are told apart; undefined
 * when no region claims it.
 */
export function regionOfNumber(e164: string): string | undefined {
  return parseWithFullMetadata(e164)?.country;
}

/** Why `e164` is not a number of `region`, or undefined when it is (or no region is set). */
export function regionFault(e164: string, region: string | undefined): string | undefined {
  if (region === undefined) return undefined;
  const wanted = region.toUpperCase();
  const parsed = parseWithFullMetadata(e164);
  if (parsed === undefined || parsed.country === wanted) return undefined;
  if (parsed.country === undefined) {
    // No region's detailed plan claims it: the country calling code is all there is to check.
    if (!isSupportedCountry(wanted)) return undefined;
    const code = getCountryCallingCode(wanted as CountryCode);
    return parsed.countryCallingCode === code
      ? undefined
      : `has country code +${parsed.countryCallingCode}, ` +
          `not +${code} of the pool's region ${region}`;
  }
  return `is a number of region ${parsed.country}, not the pool's region ${region}`;
}
