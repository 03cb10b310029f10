/** The SCIM tables on SQLite and PostgreSQL, and the handler's uniqueness on each. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { testDialects, withStore } from '../store/testing/databases.ts';
import { scimStoreOf, type StoredUser } from './scim-store.ts';
import { entraUser, scimKit } from './test-kit.ts';

const { names, skipped } = await testDialects();
if (skipped !== undefined) test(skipped, { skip: true }, () => {});

function user(id: string, userName: string, version = 1): StoredUser {
  const at = '2025-03-01T10:00:00.000Z';
  return { id, userName, active: true, document: { userName }, version, created: at, modified: at };
}

for (const dialect of names) {
  test(`${dialect}: userName is unique without case; updates need the expected version`, async () => {
    await withStore(dialect, async (store) => {
      const scim = scimStoreOf(store);
      await scim.insertUser(user('u1', 'Jane.Doe@example.org'));
      await assert.rejects(
        scim.insertUser(user('u2', 'jane.doe@EXAMPLE.org')),
        (e: any) => e.code === 'duplicate',
      );
      assert.equal((await scim.findUserByName('JANE.DOE@example.org'))?.id, 'u1');

      assert.equal(await scim.updateUser({ ...user('u1', 'jane@example.org', 2) }, 1), true);
      assert.equal(await scim.updateUser({ ...user('u1', 'jane@example.org', 3) }, 1), false);
      assert.equal((await scim.getUser('u1'))?.version, 2);
    });
  });

  test(`${dialect}: members, groups of a user, and deletes that clean up`, async () => {
    await withStore(dialect, async (store) => {
      const scim = scimStoreOf(store);
      await scim.insertUser(user('u1', 'a@x'));
      await scim.insertUser(user('u2', 'b@x'));
      const at = '2025-03-01T10:00:00.000Z';
      await scim.insertGroup({
        id: 'g1',
        displayName: 'Ops',
        document: { displayName: 'Ops' },
        version: 1,
        created: at,
        modified: at,
        members: [
          { value: 'u1', type: 'User' },
          { value: 'u2', type: 'User' },
        ],
      });
      assert.deepEqual((await scim.groupsByUser()).get('u2'), [{ id: 'g1', name: 'Ops' }]);
      assert.deepEqual(
        [...(await scim.kindsOf(['u1', 'g1', 'zz'])).entries()],
        [
          ['u1', 'User'],
          ['g1', 'Group'],
        ],
      );
      assert.equal(await scim.deleteUser('u1'), true);
      assert.deepEqual((await scim.getGroup('g1'))?.members, [{ value: 'u2', type: 'User' }]);
      assert.equal(await scim.deleteGroup('g1', 7), false);
      assert.equal(await scim.deleteGroup('g1', 1), true);
      assert.equal((await scim.groupsByUser()).size, 0);
    });
  });

  test(`${dialect}: the handler answers 409 uniqueness for a case variant (S5)`, async () => {
    const kit = await scimKit({ dialect });
    try {
      assert.equal((await kit.call('POST', '/Users', entraUser('li.wei@example.org'))).status, 201);
      const dup = await kit.call('POST', '/Users', entraUser('LI.WEI@example.org'));
      assert.equal(dup.status, 409);
      assert.equal(dup.json.scimType, 'uniqueness');
    } finally {
      await kit.close();
    }
  });
}
