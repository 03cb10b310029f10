import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { syncedApiFixture, type Fixture } from './test-fixture.ts';

const HEADER = 'pool,number,state,person,note\r\n';

describe('API number import, reconcile, report and export', () => {
  let f: Fixture;
  before(async () => {
    // Two people with an extension and a DID each: the import needs people to find.
    f = await syncedApiFixture();
  });
  after(() => f.close());

  const csv = (text: string, o: { token?: string; query?: string; type?: string } = {}) =>
    Promise.resolve(
      f.app.request(`/api/v1/numbers/import${o.query ?? ''}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${o.token ?? f.bearer.write}`,
          'content-type': o.type ?? 'text/csv',
        },
        body: text,
      }),
    );
  const state = async (pool: string, value: string) =>
    (await f.engine.store.searchNumbers({ pool, prefix: value })).find((n) => n.value === value)
      ?.state;

  it('imports valid rows and names the line and field of each rejected one', async () => {
    const res = await csv(
      HEADER +
        'nyc-ext,2510,reserved,,front desk\r\nnyc-ext,abc,blocked,,x\r\n' +
        'nyc-ext,2511,assigned,e1,\r\n',
    );
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.imported, 1);
    assert.equal(body.rejected, 2);
    assert.deepEqual(
      body.results.map((r: { line: number; result: string; field?: string }) => [
        r.line,
        r.result,
        r.field,
      ]),
      [
        [2, 'imported', undefined],
        [3, 'rejected', 'number'],
        // E1 (found whatever the case) already holds an extension of nyc-ext from the sync.
        [4, 'rejected', 'person'],
      ],
    );
    assert.equal(await state('nyc-ext', '2510'), 'reserved');
  });

  it('checks without importing on a dry run', async () => {
    const res = await csv(HEADER + 'nyc-ext,2512,blocked,,vanity\r\n', { query: '?dryRun=true' });
    const body = await res.json();
    assert.deepEqual([body.valid, body.imported, body.dryRun], [1, 0, true]);
    assert.equal(body.results[0].result, 'valid');
    assert.equal(await state('nyc-ext', '2512'), 'available');
  });

  it('refuses a malformed file with 400 naming line and field, importing nothing', async () => {
    const open = await csv(HEADER + 'nyc-ext,2513,blocked,,ok\r\nnyc-ext,2514,blocked,,"oops\r\n');
    assert.equal(open.status, 400);
    const err = (await open.json()).error;
    assert.deepEqual([err.details.line, err.details.field], [3, 'row']);
    assert.equal(await state('nyc-ext', '2513'), 'available', 'the good row is not imported');

    const header = await csv('number,pool\r\n2515,nyc-ext\r\n');
    assert.equal(header.status, 400);
    assert.deepEqual((await header.json()).error.details, { line: 1, field: 'header' });
    const type = await csv(HEADER, { type: 'application/json' });
    assert.equal((await type.json()).error.details.field, 'content-type');
    assert.equal((await csv(HEADER, { token: f.bearer.read })).status, 403);
  });

  it('reconciles read-only on GET and adopts only on POST with write scope', async () => {
    const got = await f.call('GET', '/api/v1/numbers/reconcile', { token: f.bearer.read });
    assert.equal(got.status, 200);
    const report = await got.json();
    for (const k of ['unknownHere', 'missingThere', 'duplicates']) {
      assert.ok(Array.isArray(report[k]), k);
    }
    assert.deepEqual(report.adopted, []);
    const read = { token: f.bearer.read, body: { adopt: true } };
    assert.equal((await f.call('POST', '/api/v1/numbers/reconcile', read)).status, 403);
    const bad = await f.call('POST', '/api/v1/numbers/reconcile', {
      token: f.bearer.write,
      body: { adopt: 'yes' },
    });
    assert.equal((await bad.json()).error.details.field, 'body.adopt');
    const posted = await f.call('POST', '/api/v1/numbers/reconcile', {
      token: f.bearer.write,
      body: { adopt: true },
    });
    assert.equal(posted.status, 200);
    assert.ok(Array.isArray((await posted.json()).adopted));
  });

  it('reports utilisation with the given window and threshold', async () => {
    const res = await f.call('GET', '/api/v1/numbers/report?windowDays=7&lowStockPercent=100', {
      token: f.bearer.read,
    });
    assert.equal(res.status, 200);
    const nyc = (await res.json()).find((r: { pool: string }) => r.pool === 'nyc-ext');
    assert.equal(nyc.counts.assigned, 2);
    assert.equal(nyc.allocationsInWindow, 2);
    assert.equal(nyc.lowStock, true, 'under 100% free is low');
    const bad = await f.call('GET', '/api/v1/numbers/report?windowDays=0', {
      token: f.bearer.read,
    });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.details.field, 'windowDays');
  });

  it('exports CSV with formulas neutralised', async () => {
    await f.call('POST', '/api/v1/numbers/nyc-ext/2520/reserve', {
      token: f.bearer.write,
      body: { note: '=HYPERLINK("http://x")' },
    });
    const res = await f.call('GET', '/api/v1/numbers/export?pool=nyc-ext&state=reserved', {
      token: f.bearer.read,
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename=/);
    const lines = (await res.text()).trimEnd().split('\r\n');
    assert.equal(
      lines[0],
      'pool,kind,number,state,person,person_name,until,note,updated_at,forward_to,pinned_to,' +
        'emergency_location,emergency_elin,emergency_callback',
    );
    const row = lines.find((l) => l.startsWith('nyc-ext,extension,2520,'));
    assert.ok(row?.includes(`"'=HYPERLINK(""http://x"")"`), row);
    const bad = await f.call('GET', '/api/v1/numbers/export?state=gone', { token: f.bearer.read });
    assert.equal(bad.status, 400);
  });
});
