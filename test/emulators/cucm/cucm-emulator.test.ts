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
    emu.db.remoteDestinations.clear();
    emu.db.applied.clear();
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

  const addUser = (userid: string) =>
    call('addUser', `<user><lastName>L</lastName><userid>${userid}</userid></user>`);
  const addCsf = (name: string, owner: string) =>
    call(
      'addPhone',
      `<phone><name>${name}</name><product>Cisco Unified Client Services Framework</product>` +
        '<class>Phone</class><protocol>SIP</protocol><protocolSide>User</protocolSide>' +
        `<devicePoolName>Default</devicePoolName><ownerUserName>${owner}</ownerUserName>` +
        '</phone>',
    );

  it('sets primary and IPCC extensions only to existing lines (-691 otherwise)', async () => {
    await addUser('agent');
    await addLine('2001');
    const set = (inner: string) => call('updateUser', `<userid>agent</userid>${inner}`);
    const missing = await set(
      '<primaryExtension><pattern>2999</pattern>' +
        '<routePartitionName>Internal_PT</routePartitionName></primaryExtension>',
    );
    assert.equal(axlcode(missing.text), '-691');
    assert.match(missing.text, /fk_devicenumplanmap_fknumplan/);
    const ok = await set(
      '<ipccExtension>2001</ipccExtension><ipccRoutePartition>Internal_PT</ipccRoutePartition>',
    );
    assert.equal(ok.status, 200);
    const got = await call('getUser', '<userid>agent</userid>');
    assert.match(got.text, /<ipccExtension>2001<\/ipccExtension>/);
    assert.match(got.text, /<ipccRoutePartition>Internal_PT<\/ipccRoutePartition>/);
    assert.equal(emu.db.users.get('agent')?.primaryExtension, undefined);
  });

  it('stores forwards on lines and refuses an unknown element inside one', async () => {
    await addLine('2002');
    const where = '<pattern>2002</pattern><routePartitionName>Internal_PT</routePartitionName>';
    const fwd = '<callForwardAll><destination>+14085550100</destination></callForwardAll>';
    assert.equal((await call('updateLine', where + fwd)).status, 200);
    const got = await call('getLine', where);
    assert.match(
      got.text,
      /<callForwardAll><callingSearchSpaceName><\/callingSearchSpaceName><destination>\+14085550100<\/destination>/,
    );
    const withCss = (css: string) =>
      `<callForwardAll><callingSearchSpaceName>${css}</callingSearchSpaceName>` +
      '<destination>2050</destination></callForwardAll>';
    const unknownCss = await call('updateLine', where + withCss('Nowhere_CSS'));
    assert.equal(axlcode(unknownCss.text), '-691', 'a forward CSS must exist');
    assert.equal((await call('updateLine', where + withCss('Internal_CSS'))).status, 200);
    const line = emu.db.lines.get('2002\u0000Internal_PT');
    assert.equal(line?.forwards?.callForwardAll, '2050');
    assert.equal(line?.forwardCss?.callForwardAll, 'Internal_CSS');
    const bad = await call(
      'updateLine',
      `${where}<callForwardAll><colour>red</colour></callForwardAll>`,
    );
    assert.equal(bad.status, 500);
    assert.match(bad.text, /callForwardAll\.colour/);
    const clear = '<callForwardAll><destination/></callForwardAll>';
    assert.equal((await call('updateLine', where + clear)).status, 200);
    assert.equal(emu.db.lines.get('2002\u0000Internal_PT')?.forwards?.callForwardAll, '');
  });

  it('keeps remote destinations unique and their owner and device referenced', async () => {
    await addUser('mobile');
    await addCsf('CSFMOBILE', 'mobile');
    const add = (owner: string, device: string) =>
      call(
        'addRemoteDestination',
        '<remoteDestination><destination>+14085550123</destination>' +
          `<ownerUserId>${owner}</ownerUserId><dualModeDeviceName>${device}</dualModeDeviceName>` +
          '</remoteDestination>',
      );
    assert.equal(axlcode((await add('ghost', 'CSFMOBILE')).text), '-691');
    assert.equal(axlcode((await add('mobile', 'CSFGHOST')).text), '-691');
    assert.equal((await add('mobile', 'CSFMOBILE')).status, 200);
    assert.equal(axlcode((await add('mobile', 'CSFMOBILE')).text), '-239');
    const get = await call('getRemoteDestination', '<destination>+14085550123</destination>');
    assert.match(get.text, /<enableMobileConnect>true<\/enableMobileConnect>/);
    const gone = '<destination>+10000000000</destination>';
    assert.equal(axlcode((await call('getRemoteDestination', gone)).text), '5007');
    assert.equal(axlcode((await call('removeRemoteDestination', gone)).text), '5007');
  });

  it('counts applyPhone per device and answers 5007 for an unknown one', async () => {
    await addUser('apply');
    await addCsf('CSFAPPLY', 'apply');
    assert.equal((await call('applyPhone', '<name>CSFAPPLY</name>')).status, 200);
    assert.equal((await call('applyPhone', '<name>CSFAPPLY</name>')).status, 200);
    assert.equal(emu.db.applied.get('CSFAPPLY'), 2);
    assert.equal(axlcode((await call('applyPhone', '<name>CSFNONE</name>')).text), '5007');
  });

  it('pages listUser and listPhone in key order, with only the returned tags asked for', async () => {
    for (const id of ['carol', 'alice', 'dave', 'bob']) {
      const user = `<user><lastName>${id}</lastName><userid>${id}</userid></user>`;
      assert.equal((await call('addUser', user)).status, 200);
      const phone =
        `<phone><name>CSF${id.toUpperCase()}</name><product>Cisco Unified Client Services ` +
        'Framework</product><class>Phone</class><protocol>SIP</protocol>' +
        '<protocolSide>User</protocolSide><devicePoolName>Default</devicePoolName>' +
        `<ownerUserName>${id}</ownerUserName></phone>`;
      assert.equal((await call('addPhone', phone)).status, 200);
    }
    const page = async (op: string, tag: string, skip: number) =>
      [
        ...(
          await call(
            op,
            `<searchCriteria><${tag}>%</${tag}></searchCriteria>` +
              `<returnedTags><${tag}/></returnedTags><skip>${skip}</skip><first>3</first>`,
          )
        ).text.matchAll(new RegExp(`<${tag}>(\\w+)</${tag}>`, 'g')),
      ].map((m) => m[1]);
    assert.deepEqual(await page('listUser', 'userid', 0), ['alice', 'bob', 'carol']);
    assert.deepEqual(await page('listUser', 'userid', 3), ['dave']);
    assert.deepEqual(await page('listPhone', 'name', 0), ['CSFALICE', 'CSFBOB', 'CSFCAROL']);
    assert.deepEqual(await page('listPhone', 'name', 3), ['CSFDAVE']);
    const tags = await call(
      'listPhone',
      '<searchCriteria><name>CSFBOB</name></searchCriteria><returnedTags><name/></returnedTags>',
    );
    assert.doesNotMatch(tags.text, /ownerUserName/, 'only the returned tags asked for');
  });

  it('refuses writes past writeLimitPerSecond in one second with 503, and counts arrivals', async () => {
    emu.writeLimitPerSecond = 3;
    emu.writeArrivals.length = 0;
    try {
      const statuses = [];
      for (let i = 0; i < 5; i += 1) statuses.push((await addLine(`31${i}`)).status);
      assert.deepEqual(statuses, [200, 200, 200, 503, 503]);
      assert.equal(emu.db.lines.size, 3);
      assert.equal(emu.maxWritesInWindow(1000), 5, 'refused writes arrived too');
      // Reads are not limited.
      const read = await call('listLine', '<searchCriteria><pattern>%</pattern></searchCriteria>');
      assert.equal(read.status, 200);
    } finally {
      emu.writeLimitPerSecond = undefined;
      emu.writeArrivals.length = 0;
    }
  });

  it('answers an HTML page for the requests notXmlWhen picks', async () => {
    emu.notXmlWhen = (op, body) => op === 'getUser' && body.userid === 'odd';
    try {
      const odd = await call('getUser', '<userid>odd</userid>');
      assert.equal(odd.status, 200);
      assert.match(odd.text, /^<html>/);
      const other = await call('getUser', '<userid>even</userid>');
      assert.equal(axlcode(other.text), '5007');
    } finally {
      emu.notXmlWhen = undefined;
    }
  });

  it('getLine names the devices a line is on', async () => {
    await addLine('3201');
    const phone =
      '<phone><name>SEP0000000A3201</name><product>Cisco 8861</product><class>Phone</class>' +
      '<protocol>SIP</protocol><protocolSide>User</protocolSide>' +
      '<devicePoolName>Default</devicePoolName><lines><line><index>1</index><dirn>' +
      '<pattern>3201</pattern><routePartitionName>Internal_PT</routePartitionName></dirn>' +
      '</line></lines></phone>';
    assert.equal((await call('addPhone', phone)).status, 200);
    const got = await call(
      'getLine',
      '<pattern>3201</pattern><routePartitionName>Internal_PT</routePartitionName>' +
        '<returnedTags><associatedDevices><device/></associatedDevices></returnedTags>',
    );
    assert.match(
      got.text,
      /<associatedDevices><device>SEP0000000A3201<\/device><\/associatedDevices>/,
    );
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
