/**
 * The emulator answers as Unified CM documents: faults with axlcode, uniqueness, references,
 * version agreement, unknown elements, paging, throttling and session cookies. Requests here
 * are hand-written envelopes, independent of the connector's XML code.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import { CucmEmulator } from './cucm-emulator.ts';

const AUTH = `Basic ${Buffer.from('axladmin:secret').toString('base64')}`;

describe('CUCM AXL emulator', () => {
  let emu: CucmEmulator;
  let url: string;

  before(async () => {
    emu = new CucmEmulator({
      accounts: [
        { username: 'axladmin', password: 'secret' },
        { username: 'noaxl', password: 'pw', axl: false },
      ],
    });
    url = await emu.start();
  });
  after(() => emu.stop());
  beforeEach(() => {
    emu.db.users.clear();
    emu.db.lines.clear();
    emu.db.phones.clear();
  });

  async function call(op: string, inner: string, opts: CallOptions = {}) {
    const version = opts.version ?? '14.0';
    const nsVersion = opts.nsVersion ?? version;
    const xml =
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
      `xmlns:ns="http://www.cisco.com/AXL/API/${nsVersion}"><soapenv:Body>` +
      `<ns:${op}>${inner}</ns:${op}></soapenv:Body></soapenv:Envelope>`;
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'text/xml',
        SOAPAction: `"CUCM:DB ver=${version} ${op}"`,
        ...(opts.cookie === undefined ? { Authorization: opts.auth ?? AUTH } : {}),
        ...(opts.cookie === undefined ? {} : { Cookie: opts.cookie }),
      },
      body: xml,
    });
    return { status: res.status, text: await res.text(), cookie: res.headers.get('set-cookie') };
  }
  const axlcode = (text: string) => /<axlcode>(-?\d+)<\/axlcode>/.exec(text)?.[1];
  const addLine = (pattern: string, partition = 'Internal_PT') =>
    call(
      'addLine',
      `<line><pattern>${pattern}</pattern>` +
        `<routePartitionName>${partition}</routePartitionName></line>`,
    );

  it('adds and gets a line, answering uuid and fields in the request namespace', async () => {
    const added = await addLine('1001');
    assert.equal(added.status, 200);
    assert.match(added.text, /<return>\{[0-9A-F-]{36}\}<\/return>/);
    const got = await call(
      'getLine',
      '<pattern>1001</pattern>' + '<routePartitionName>Internal_PT</routePartitionName>',
      { version: '11.0' },
    );
    assert.equal(got.status, 200);
    assert.match(got.text, /xmlns:ns="http:\/\/www.cisco.com\/AXL\/API\/11.0"/);
    assert.match(got.text, /<pattern>1001<\/pattern>/);
  });

  it('refuses a duplicate line with -239 and allows the pattern in another partition', async () => {
    emu.db.references.routePartitionName!.add('Other_PT');
    assert.equal((await addLine('1002')).status, 200);
    const again = await addLine('1002');
    assert.equal(again.status, 500);
    assert.equal(axlcode(again.text), '-239');
    assert.equal((await addLine('1002', 'Other_PT')).status, 200);
  });

  it('answers -691 for a missing partition, device pool or owner', async () => {
    assert.equal(axlcode((await addLine('1003', 'Nowhere_PT')).text), '-691');
    const phone = (pool: string, owner: string) =>
      call(
        'addPhone',
        `<phone><name>SEP001122334455</name><product>Cisco 8861</product>` +
          '<class>Phone</class><protocol>SIP</protocol><protocolSide>User</protocolSide>' +
          `<devicePoolName>${pool}</devicePoolName><ownerUserName>${owner}</ownerUserName>` +
          '</phone>',
      );
    const noPool = await phone('DP_Nowhere', '');
    assert.equal(axlcode(noPool.text), '-691');
    assert.match(noPool.text, /fk_device_fkdevicepool/);
    assert.equal(axlcode((await phone('Default', 'ghost')).text), '-691');
    assert.equal(emu.db.phones.size, 0);
  });

  it('answers 5007 for get and remove of a missing item, 5003 for update', async () => {
    const get = await call('getUser', '<userid>nobody</userid>');
    assert.equal(axlcode(get.text), '5007');
    assert.equal(axlcode((await call('removePhone', '<name>SEP000000000000</name>')).text), '5007');
    const update = await call('updateLine', '<pattern>9</pattern><description>x</description>');
    assert.equal(axlcode(update.text), '5003');
  });

  it('refuses removing a line a phone still uses with -692', async () => {
    await addLine('1004');
    const phone = await call(
      'addPhone',
      '<phone><name>CSFJDOE</name><product>Cisco Unified ' +
        'Client Services Framework</product><class>Phone</class><protocol>SIP</protocol>' +
        '<protocolSide>User</protocolSide><devicePoolName>Default</devicePoolName><lines><line>' +
        '<index>1</index><dirn><pattern>1004</pattern><routePartitionName>Internal_PT' +
        '</routePartitionName></dirn></line></lines></phone>',
    );
    assert.equal(phone.status, 200);
    const remove = await call(
      'removeLine',
      '<pattern>1004</pattern>' + '<routePartitionName>Internal_PT</routePartitionName>',
    );
    assert.equal(axlcode(remove.text), '-692');
  });

  it('rejects unknown elements and version disagreement with a fault', async () => {
    const xml = '<line><pattern>1005</pattern><colour>red</colour></line>';
    const unknown = await call('addLine', xml);
    assert.equal(unknown.status, 500);
    assert.match(unknown.text, /Invalid content.*line\.colour/);
    const mismatch = await call('getUser', '<userid>a</userid>', { nsVersion: '11.0' });
    assert.equal(mismatch.status, 500);
    assert.match(mismatch.text, /Version mismatch/);
    const thirteen = await call('getUser', '<userid>a</userid>', { version: '13.0' });
    assert.match(thirteen.text, /13.0 is not supported/);
    assert.equal(emu.db.lines.size, 0);
  });

  it('pages listLine with skip and first', async () => {
    for (let i = 0; i < 5; i += 1) await addLine(`20${i}`);
    const list = (skip: number) =>
      call(
        'listLine',
        '<searchCriteria><pattern>20%</pattern>' +
          `</searchCriteria><returnedTags><pattern/></returnedTags><skip>${skip}</skip>` +
          '<first>2</first>',
      );
    const patterns = async (skip: number) =>
      [...(await list(skip)).text.matchAll(/<pattern>(\d+)<\/pattern>/g)].map((m) => m[1]);
    assert.deepEqual(await patterns(0), ['200', '201']);
    assert.deepEqual(await patterns(4), ['204']);
    assert.deepEqual(await patterns(6), []);
  });

  it('answers 401, 403, and takes the session cookie instead of the password', async () => {
    const bad = `Basic ${Buffer.from('axladmin:wrong').toString('base64')}`;
    assert.equal((await call('getUser', '<userid>a</userid>', { auth: bad })).status, 401);
    const role = `Basic ${Buffer.from('noaxl:pw').toString('base64')}`;
    assert.equal((await call('getUser', '<userid>a</userid>', { auth: role })).status, 403);
    const first = await call('listUser', '');
    const cookie = first.cookie?.split(';')[0];
    assert.match(cookie ?? '', /^JSESSIONIDSSO=/);
    const second = await call('listUser', '', { cookie });
    assert.equal(second.status, 200);
    assert.equal(emu.requests.at(-1)?.auth, 'cookie');
    emu.expireSessions();
    assert.equal((await call('listUser', '', { cookie })).status, 401);
  });

  it('throttles the next writes with 503 and lets reads through', async () => {
    emu.throttleWrites = 1;
    assert.equal(
      (await call('listLine', '<searchCriteria><pattern>%</pattern></searchCriteria>')).status,
      200,
    );
    assert.equal((await addLine('1006')).status, 503);
    assert.equal(emu.db.lines.size, 0);
    assert.equal((await addLine('1006')).status, 200);
  });

  it('commits a write and then drops the answer when asked', async () => {
    emu.dropWriteAnswers = 1;
    await assert.rejects(addLine('1007'));
    assert.equal(emu.db.lines.size, 1);
  });

  it('waits latencyMs before answering', async () => {
    emu.latencyMs = 60;
    const started = Date.now();
    await call('listUser', '');
    emu.latencyMs = 0;
    assert.ok(Date.now() - started >= 55, 'answer came after the latency');
  });
});

interface CallOptions {
  version?: string;
  nsVersion?: string;
  auth?: string;
  cookie?: string | undefined;
}
