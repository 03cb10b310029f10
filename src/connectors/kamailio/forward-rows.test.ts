/**
 * `did-forward` rows on Kamailio's own database (a real Kamailio from src/lab; calls through it
 * are proven in test/leaver-forward-e2e.test.ts): a forward rings the manager's extension,
 * is re-pointed at an announcement, and its removal leaves alone an alias that no longer rings
 * the forward's user.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { type LabKamailio, startKamailio } from '../../lab/kamailio.ts';
import { checkSystemDeps } from '../../lab/system-deps.ts';
import { KamailioTarget } from './kamailio-target.ts';

const NEEDED = new Set(['kamailio', 'kamailio-sqlite-modules']);
const missing = checkSystemDeps().missing.filter((m) => NEEDED.has(m.pkg));
const skip = missing.length > 0 && process.env.CI !== 'true' ? 'Kamailio not installed' : false;

describe('Kamailio did-forward', { skip }, () => {
  let lab: LabKamailio;
  let target: KamailioTarget;
  const did = '+12125550142';

  before(async () => {
    lab = await startKamailio({});
    target = new KamailioTarget({
      name: 'pbx',
      type: 'kamailio',
      database: lab.dbPath,
      domain: lab.domain,
      rpcUrl: lab.rpcUrl,
      sipPort: lab.sipPort,
      concurrency: 1,
    });
  });
  after(async () => {
    await target?.close();
    await lab?.stop();
  });

  const forward = (action: 'create' | 'update' | 'delete', attributes: Record<string, string>) =>
    target.apply({ action, type: 'did-forward', key: did, attributes });

  test('rings the extension, then the announcement; a foreign alias survives removal', async () => {
    const toBoss = { to: '+12125550150', extension: '2050', via: 'manager', until: 'x' };
    assert.equal((await forward('create', toBoss)).outcome, 'created');
    assert.equal((await target.read('did-forward', did))?.username, '2050');
    assert.equal((await forward('create', toBoss)).outcome, 'noop', 'a retry changes nothing');

    const announcement = { to: '+12125550199', via: 'announcement', until: 'x' };
    assert.equal((await forward('update', announcement)).outcome, 'updated');
    assert.equal((await target.read('sip-alias', did))?.username, '+12125550199');

    // Someone pointed the DID elsewhere meanwhile: removing the forward must not take it.
    await target.apply({
      action: 'update',
      type: 'sip-alias',
      key: did,
      attributes: { username: '2077' },
    });
    assert.equal((await forward('delete', announcement)).outcome, 'noop');
    assert.equal((await target.read('sip-alias', did))?.username, '2077');

    await target.apply({
      action: 'update',
      type: 'sip-alias',
      key: did,
      attributes: { username: '+12125550199' },
    });
    assert.equal((await forward('delete', announcement)).outcome, 'deleted');
    assert.equal(await target.read('did-forward', did), null);
  });
});
