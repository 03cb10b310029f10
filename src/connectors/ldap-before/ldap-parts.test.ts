import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { dnEquals, escapeDnValue, normalizeDn, parseDn } from './dn.ts';
import { mapEntry, requestedAttributes, type EntryMapping, type RawEntry } from './entry-mapper.ts';
import { escapeFilterValue } from './filter.ts';
import { guidToBytes, guidToString } from './guid.ts';
import { phoneStyleFor } from './write-format.ts';

const D2_BASE64 = 'qCA1tC6bk0ah2O8f/VhkWA==';
const D2_GUID = 'b43520a8-9b2e-4693-a1d8-ef1ffd586458';

const mapping: EntryMapping = {
  name: 'corp',
  idAttribute: 'entryUUID',
  attributes: { username: 'uid', phone: 'telephoneNumber', groups: 'memberOf' },
  disabled: { userAccountControl: true },
};

describe('objectGUID (D2)', () => {
  it('renders the first three groups little-endian', () => {
    assert.equal(guidToString(Buffer.from(D2_BASE64, 'base64')), D2_GUID);
  });

  it('turns the canonical text back into the stored bytes', () => {
    assert.equal(guidToBytes(D2_GUID)?.toString('base64'), D2_BASE64);
    assert.equal(guidToBytes('not-a-guid'), undefined);
  });

  it('refuses anything but 16 bytes', () => {
    assert.equal(guidToString(Buffer.alloc(15)), undefined);
  });

  it('escapes the GUID byte by byte for a filter', () => {
    const escaped = escapeFilterValue(Buffer.from(D2_BASE64, 'base64'));
    assert.equal(escaped, '\\a8\\20\\35\\b4\\2e\\9b\\93\\46\\a1\\d8\\ef\\1f\\fd\\58\\64\\58');
  });
});

describe('escapeFilterValue', () => {
  it('escapes the RFC 4515 specials and keeps UTF-8', () => {
    assert.equal(escapeFilterValue('a*b(c)d\\e\0'), 'a\\2ab\\28c\\29d\\5ce\\00');
    assert.equal(escapeFilterValue('Zoë'), 'Zoë');
    assert.equal(escapeFilterValue('*)(uid=*'), '\\2a\\29\\28uid=\\2a');
  });
});

describe('DNs (D4)', () => {
  it('treats \\, and \\2C as the same DN, whatever the case', () => {
    const escaped = 'cn=Doe\\, John,ou=People,dc=example,dc=com';
    assert.ok(dnEquals(escaped, 'CN=doe\\2C john,OU=People,DC=example,DC=com'));
    assert.ok(!dnEquals(escaped, 'cn=Doe,ou=People,dc=example,dc=com'));
  });

  it('reads hex-escaped UTF-8 and plain UTF-8 alike', () => {
    const plain = 'cn=Zoë Ñúñez-Ålvarez,ou=Users,dc=example,dc=com';
    const hex =
      'cn=Zo\\C3\\AB \\C3\\91\\C3\\BA\\C3\\B1ez-\\C3\\85lvarez,ou=Users,dc=example,dc=com';
    assert.ok(dnEquals(plain, hex));
    assert.equal(parseDn(hex)[0]![0]!.value, 'Zoë Ñúñez-Ålvarez');
  });

  it('escapes only RFC 4514 specials when building a DN', () => {
    assert.equal(escapeDnValue('Faxälv, Max'), 'Faxälv\\, Max');
    assert.equal(escapeDnValue('a+b;c<d>"e\\'), 'a\\+b\\;c\\<d\\>\\"e\\\\');
    assert.equal(escapeDnValue('#a#'), '\\#a#');
    assert.equal(escapeDnValue(' a '), '\\ a\\ ');
    assert.equal(parseDn(`cn=${escapeDnValue(' #a+b;c ')},o=x`)[0]![0]!.value, ' #a+b;c ');
  });

  it('splits multi-valued RDNs and normalizes their order', () => {
    assert.equal(normalizeDn('uid=a+cn=B,dc=x'), 'cn=b+uid=a,dc=x');
    assert.throws(() => parseDn('cn=a,broken'), TypeError);
  });
});

describe('mapEntry', () => {
  const uuid = 'D3B07384-D9A0-4C9B-8E0A-6F1D2C3B4A59';

  it('maps attributes, lower-cases entryUUID and keeps multi-values', () => {
    const { record, problems } = mapEntry(
      { dn: 'uid=a,o=x', entryUUID: uuid, uid: 'a', memberOf: ['g1', 'g2'], telephoneNumber: [] },
      mapping,
    );
    assert.deepEqual(problems, []);
    assert.equal(record?.externalId, uuid.toLowerCase());
    assert.deepEqual(record?.attributes, { username: 'a', groups: ['g1', 'g2'] });
    assert.equal(record?.dn, 'uid=a,o=x');
  });

  it('finds attributes whatever case the server spells them in', () => {
    const { record } = mapEntry({ dn: 'uid=a,o=x', ENTRYUUID: uuid, UID: 'a' }, mapping);
    assert.equal(record?.attributes.username, 'a');
  });

  it('decides disabled from bit 2 of userAccountControl exactly (D1)', () => {
    const states = [512, 514, 546, 66048, 66050, 66082].map((uac) => {
      const entry = { dn: 'uid=a,o=x', entryUUID: uuid, userAccountControl: String(uac) };
      return [uac, mapEntry(entry, mapping).record?.state];
    });
    assert.deepEqual(Object.fromEntries(states), {
      512: 'active',
      514: 'disabled',
      546: 'disabled',
      66048: 'active',
      66050: 'disabled',
      66082: 'disabled',
    });
  });

  it('keeps a person with a broken userAccountControl active and reports it', () => {
    const entry = { dn: 'uid=a,o=x', entryUUID: uuid, userAccountControl: 'lots' };
    const { record, problems } = mapEntry(entry, mapping);
    assert.equal(record?.state, 'active');
    assert.equal(problems[0]?.field, 'userAccountControl');
    assert.equal(problems[0]?.record, 'uid=a,o=x');
  });

  it('matches disabled values without case', () => {
    const disabled = { attribute: 'employeeType', values: ['Terminated'] };
    const byType: EntryMapping = { ...mapping, disabled };
    const entry = { dn: 'uid=a,o=x', entryUUID: uuid, employeeType: ['employee', 'TERMINATED'] };
    assert.equal(mapEntry(entry, byType).record?.state, 'disabled');
  });

  it('reports a missing, doubled or malformed id with DN and field, and no record', () => {
    const entries: RawEntry[] = [
      { dn: 'uid=a,o=x' },
      { dn: 'uid=a,o=x', entryUUID: [uuid, uuid] },
      { dn: 'uid=a,o=x', entryUUID: 'nope' },
    ];
    for (const entry of entries) {
      const { record, problems } = mapEntry(entry, mapping);
      assert.equal(record, undefined);
      assert.equal(problems.length, 1);
      assert.deepEqual([problems[0]!.record, problems[0]!.field], ['uid=a,o=x', 'entryUUID']);
    }
  });

  it('renders objectGUID bytes canonically and reports a short one', () => {
    const ad: EntryMapping = { ...mapping, idAttribute: 'objectGUID' };
    const good = mapEntry({ dn: 'cn=a,o=x', objectGUID: Buffer.from(D2_BASE64, 'base64') }, ad);
    assert.equal(good.record?.externalId, D2_GUID);
    const bad = mapEntry({ dn: 'cn=a,o=x', objectGUID: Buffer.alloc(3) }, ad);
    assert.equal(bad.problems[0]?.field, 'objectGUID');
  });

  it('requests only mapped, id and disabled-detection attributes, once each', () => {
    const attributes = { a: 'uid', b: 'UID', c: 'mail' };
    const wanted = requestedAttributes({ ...mapping, attributes });
    assert.deepEqual(wanted, ['entryUUID', 'uid', 'mail', 'userAccountControl']);
  });
});

describe('phoneStyleFor (N2)', () => {
  it('uses PrintableString-safe text for OpenLDAP telephone attributes only', () => {
    assert.equal(phoneStyleFor('telephoneNumber', 'openldap'), 'printable');
    assert.equal(phoneStyleFor('Mobile', 'openldap'), 'printable');
    assert.equal(phoneStyleFor('ipPhone', 'openldap'), 'e164');
    assert.equal(phoneStyleFor('telephoneNumber', 'ad'), 'ad');
  });
});
