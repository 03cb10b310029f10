import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  formatCanonical,
  formatPhone,
  fromCanonical,
  parsePhone,
  toCanonical,
  type PhoneValue,
} from './phone.ts';

/** Field case N1: one number with an extension, typed four ways. */
const N1_INPUTS = [
  '+1 (908) 555-0100 x123',
  '(908) 555-0100 ext. 123',
  '908.555.0100 #123',
  '+19085550100;ext=123',
  'tel:+1-908-555-0100;ext=123',
];

function parsed(input: string, region?: string): PhoneValue {
  const result = parsePhone(input, region);
  assert.ok(result.ok, `expected '${input}' to parse: ${result.ok ? '' : result.problem}`);
  return result.phone;
}

describe('parsePhone', () => {
  for (const input of N1_INPUTS) {
    it(`keeps the extension apart in '${input}' (N1)`, () => {
      const phone = parsed(input, 'US');
      assert.deepEqual(phone, { e164: '+19085550100', extension: '123' });
      assert.notEqual(phone.e164, '+19085550100123');
    });
  }

  it('reads a number without extension and omits the field', () => {
    const phone = parsed('(212) 555-0199', 'US');
    assert.deepEqual(phone, { e164: '+12125550199' });
    assert.equal('extension' in phone, false);
  });

  it('uses the country code over the default region', () => {
    assert.deepEqual(parsed('+44 20 7946 0958', 'US'), { e164: '+442079460958' });
  });

  it('uses the default region for national numbers', () => {
    assert.deepEqual(parsed('020 7946 0958', 'gb'), { e164: '+442079460958' });
  });

  it('reports input that is not a number, with the input in the problem', () => {
    const result = parsePhone('call me maybe', 'US');
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.problem, /call me maybe/);
  });

  it('reports a number too long for its region instead of guessing', () => {
    const result = parsePhone('+1 212 555 01000', 'US');
    assert.equal(result.ok, false);
  });

  it('reports empty input and an unknown region', () => {
    assert.equal(parsePhone('   ', 'US').ok, false);
    const result = parsePhone('908 555 0100', 'XX');
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.problem, /XX/);
  });
});

describe('formatPhone', () => {
  const withExt: PhoneValue = { e164: '+19085550100', extension: '123' };
  const plain: PhoneValue = { e164: '+19085550100' };

  it('writes RFC 3966 with visual separators (N1)', () => {
    assert.equal(formatPhone(withExt, 'rfc3966'), 'tel:+1-908-555-0100;ext=123');
    assert.equal(formatPhone(plain, 'rfc3966'), 'tel:+1-908-555-0100');
  });

  it('writes a PrintableString-safe form for OpenLDAP telephoneNumber (N2)', () => {
    const value = formatPhone(withExt, 'printable');
    assert.equal(value, '+1 908 555 0100 x123');
    assert.doesNotMatch(value, /[;*#]/);
    assert.equal(formatPhone(plain, 'printable'), '+1 908 555 0100');
  });

  it('writes the ;ext= form for Active Directory (N2)', () => {
    assert.equal(formatPhone(withExt, 'ad'), '+19085550100;ext=123');
    assert.equal(formatPhone(plain, 'ad'), '+19085550100');
  });

  it('keeps every printable rendering inside the PrintableString alphabet', () => {
    for (const e164 of ['+442079460958', '+33612345678', '+5491123456789', '+81312345678']) {
      const value = formatPhone({ e164, extension: '7' }, 'printable');
      assert.match(value, /^[A-Za-z0-9 '()+,\-./:?=]+$/, value);
      assert.ok(value.endsWith(' x7'));
    }
  });

  it('round-trips every style through parsePhone', () => {
    for (const style of ['e164', 'rfc3966', 'printable', 'ad'] as const) {
      assert.deepEqual(parsed(formatPhone(withExt, style), 'US'), withExt, style);
    }
  });
});

describe('canonical strings', () => {
  it('joins and splits the extension', () => {
    assert.equal(toCanonical({ e164: '+19085550100', extension: '123' }), '+19085550100;ext=123');
    assert.deepEqual(fromCanonical('+19085550100;ext=123'), {
      e164: '+19085550100',
      extension: '123',
    });
    assert.deepEqual(fromCanonical('+19085550100'), { e164: '+19085550100' });
    assert.equal(fromCanonical('+1 908 555 0100'), undefined);
    assert.equal(fromCanonical('19085550100'), undefined);
  });

  it('formats canonical values per style and passes extension digits through', () => {
    assert.equal(formatCanonical('+19085550100;ext=123', 'printable'), '+1 908 555 0100 x123');
    assert.equal(formatCanonical('+19085550100;ext=123', 'ad'), '+19085550100;ext=123');
    assert.equal(formatCanonical('4711', 'printable'), '4711');
    assert.equal(formatCanonical('0042', 'rfc3966'), '0042');
    assert.throws(() => formatCanonical('908-555-0100', 'printable'), TypeError);
  });
});
