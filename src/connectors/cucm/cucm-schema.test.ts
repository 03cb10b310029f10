/**
 * The optional check against the customer's own AXL schema (`schema:`). Cisco's XSD cannot be
 * shipped, so the test writes a small schema of its own in the AXL namespace, split in two
 * files the way AXLSoap.xsd imports AXLEnums.xsd: addLine with pattern, description, usage
 * (an enumeration from the second file) and routePartitionName; getLine with pattern and
 * partition. A request the schema refuses fails with the element and the reason and is never
 * sent; a valid one goes through.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { CucmEmulator } from '../../../test/emulators/cucm/cucm-emulator.ts';
import { parseConfig, exampleConfig } from '../../core/config.ts';
import type { CucmTargetConfig } from '../../core/config-types.ts';
import { CallsignError } from '../../core/errors.ts';
import { CucmTarget } from './cucm-target.ts';

const NS = 'http://www.cisco.com/AXL/API/14.0';

const MAIN_XSD = `<?xml version="1.0" encoding="UTF-8"?>
<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:axl="${NS}"
    targetNamespace="${NS}" elementFormDefault="unqualified">
  <xsd:include schemaLocation="TestEnums.xsd"/>
  <xsd:complexType name="TestLine">
    <xsd:sequence>
      <xsd:element name="pattern" type="xsd:string"/>
      <xsd:element name="description" type="xsd:string" minOccurs="0"/>
      <xsd:element name="usage" type="axl:TestUsage"/>
      <xsd:element name="routePartitionName" type="xsd:string" minOccurs="0"/>
      <xsd:element name="alertingName" type="xsd:string" minOccurs="0"/>
    </xsd:sequence>
  </xsd:complexType>
  <xsd:element name="addLine">
    <xsd:complexType>
      <xsd:sequence><xsd:element name="line" type="axl:TestLine"/></xsd:sequence>
    </xsd:complexType>
  </xsd:element>
  <xsd:element name="getLine">
    <xsd:complexType>
      <xsd:sequence>
        <xsd:element name="pattern" type="xsd:string"/>
        <xsd:element name="routePartitionName" type="xsd:string" minOccurs="0"/>
        <xsd:element name="returnedTags" minOccurs="0">
          <xsd:complexType><xsd:sequence>
            <xsd:any processContents="skip" minOccurs="0" maxOccurs="unbounded"/>
          </xsd:sequence></xsd:complexType>
        </xsd:element>
      </xsd:sequence>
    </xsd:complexType>
  </xsd:element>
</xsd:schema>
`;

const ENUMS_XSD = `<?xml version="1.0" encoding="UTF-8"?>
<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="${NS}">
  <xsd:simpleType name="TestUsage">
    <xsd:restriction base="xsd:string"><xsd:enumeration value="Device"/></xsd:restriction>
  </xsd:simpleType>
</xsd:schema>
`;

describe('CucmTarget with the customer AXL schema', () => {
  let dir: string;
  let emu: CucmEmulator;
  let url: string;
  const targets: CucmTarget[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'callsign-axl-xsd-'));
    writeFileSync(join(dir, 'TestSoap.xsd'), MAIN_XSD);
    writeFileSync(join(dir, 'TestEnums.xsd'), ENUMS_XSD);
    emu = new CucmEmulator();
    url = await emu.start();
  });
  after(async () => {
    for (const t of targets) await t.close();
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function target(schema: string): CucmTarget {
    const config: CucmTargetConfig = {
      name: 'cucm1',
      type: 'cucm',
      url,
      version: '14.0',
      username: 'axladmin',
      password: 'env:CUCM_PASSWORD',
      concurrency: 2,
      schema,
    };
    const t = new CucmTarget(config, { password: 'secret' });
    targets.push(t);
    return t;
  }

  it('sends a request the schema accepts', async () => {
    const t = target(join(dir, 'TestSoap.xsd'));
    const change = {
      action: 'create' as const,
      type: 'cucm-line',
      key: '5001@Internal_PT',
      attributes: { description: 'Jane <Doe> & Co', alertingName: 'Jane' },
    };
    assert.equal((await t.apply(change)).outcome, 'created');
    assert.equal(emu.count('addLine'), 1);
  });

  it('refuses a request the schema does not accept, naming element and reason, sends nothing', async () => {
    const t = target(join(dir, 'TestSoap.xsd'));
    const before = emu.requests.length;
    // The test schema has no callForwardAll in its line: a real profile field it does not know.
    const change = {
      action: 'create' as const,
      type: 'cucm-line',
      key: '5002@Internal_PT',
      attributes: { callForwardAll: '+14085550100' },
    };
    const err = await t.apply(change).catch((e: unknown) => e);
    assert.ok(err instanceof CallsignError, String(err));
    assert.equal(err.code, 'rejected');
    assert.equal(err.retryable, false);
    assert.equal(err.details.element, 'callForwardAll');
    assert.match(String(err.details.reason), /not expected/);
    assert.match(err.message, /addLine for line 5002@Internal_PT does not match the AXL schema/);
    assert.match(err.message, /TestSoap\.xsd/);
    // getLine went out (it is valid); addLine never did.
    assert.deepEqual(
      emu.requests.slice(before).map((r) => r.operation),
      ['getLine'],
    );
  });

  it('refuses an operation the schema does not declare', async () => {
    const t = target(join(dir, 'TestSoap.xsd'));
    const err = await t.read('cucm-user', 'jdoe').catch((e: unknown) => e);
    assert.ok(err instanceof CallsignError);
    assert.equal(err.details.element, 'getUser');
    assert.match(String(err.details.reason), /No matching global declaration/);
    assert.match(err.message, /getUser for user jdoe does not match the AXL schema/);
  });

  it('a schema file that cannot be read is a config error naming the field', () => {
    assert.throws(
      () => target(join(dir, 'missing.xsd')),
      (e) =>
        e instanceof CallsignError &&
        e.code === 'config' &&
        /targets\.cucm1\.schema/.test(e.message),
    );
  });

  it('the configuration takes schema relative to its own folder', () => {
    const text = exampleConfig().replace(
      'targets:\n',
      'targets:\n  - name: cucm9\n    type: cucm\n    url: https://cucm:8443/axl/\n' +
        '    username: axl\n    password: env:CUCM_PASSWORD\n    concurrency: 2\n' +
        '    schema: axl/AXLSoap.xsd\n',
    );
    const config = parseConfig(text, '/srv/callsign/c.yaml');
    const cucm = config.targets.find((t) => t.name === 'cucm9') as CucmTargetConfig;
    assert.equal(cucm.schema, '/srv/callsign/axl/AXLSoap.xsd');
  });
});
