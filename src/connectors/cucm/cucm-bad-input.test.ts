/**
 * Bad input through the executor, as a sync meets it: a profile naming a device pool, phone
 * template or partition Unified CM does not have, a line already on another user's phone, and
 * an answer that is not XML. Each is a clear error on that person's operation (naming the
 * record and the field); everybody else is on-boarded. Credentials that stop working mid-run
 * fail the next call with an auth error after one login try, and work again once restored.
 * Runs on SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { CucmEmulator } from '../../../test/emulators/cucm/cucm-emulator.ts';
import type { CucmTargetConfig } from '../../core/config-types.ts';
import { CallsignError } from '../../core/errors.ts';
import type { PlannedOperation } from '../../core/model.ts';
import { Executor } from '../../engine/executor.ts';
import { testDialects, withStore } from '../../store/testing/databases.ts';
import { CucmTarget } from './cucm-target.ts';

const dialects = await testDialects();

function config(url: string): CucmTargetConfig {
  return {
    name: 'cucm1',
    type: 'cucm',
    url,
    version: '14.0',
    username: 'axladmin',
    password: 'env:CUCM_PASSWORD',
    concurrency: 4,
    timeoutMs: 5000,
  };
}

/** A joiner's user, line and softphone, the phone after both. */
function joiner(
  i: number,
  over: { partition?: string; phone?: Record<string, string>; line?: string } = {},
): PlannedOperation[] {
  const personId = `p${i}`;
  const line = over.line ?? `7${String(i).padStart(3, '0')}@${over.partition ?? 'Internal_PT'}`;
  const base = { personId, action: 'create' as const, target: 'cucm1', reason: 'joiner' };
  return [
    { ...base, type: 'cucm-user', key: personId, attributes: { lastName: `P${i}` }, after: [] },
    { ...base, type: 'cucm-line', key: line, attributes: { description: personId }, after: [] },
    {
      ...base,
      type: 'cucm-phone',
      key: `CSF${personId.toUpperCase()}`,
      attributes: {
        product: 'Cisco Unified Client Services Framework',
        devicePoolName: 'Default',
        ownerUserName: personId,
        line1: line,
        ...over.phone,
      },
      after: [0, 1],
    },
  ];
}

for (const dialect of dialects.names) {
  describe(`Unified CM bad input through the executor on ${dialect}`, { timeout: 30_000 }, () => {
    let emu: CucmEmulator;
    let url: string;

    before(async () => {
      emu = new CucmEmulator();
      url = await emu.start();
    });
    after(() => emu.stop());

    it('fails only the person and operation at fault; the others are on-boarded', async () => {
      // Someone else's desk phone already has line 7999.
      emu.db.users.set('owner9', {
        uuid: '{U9}',
        fields: { userid: 'owner9' },
        associatedDevices: [],
      });
      emu.db.lines.set('7999\u0000Internal_PT', {
        uuid: '{L9}',
        fields: { pattern: '7999', routePartitionName: 'Internal_PT' },
      });
      emu.db.phones.set('SEP00000000F999', {
        uuid: '{P9}',
        fields: { name: 'SEP00000000F999', ownerUserName: 'owner9' },
        lines: [{ index: '1', pattern: '7999', partition: 'Internal_PT' }],
      });
      // p5's user is answered by an HTML page (a proxy's error), every time.
      emu.notXmlWhen = (op, body) => op === 'getUser' && body.userid === 'p5';

      const ops = [
        ...joiner(0),
        ...joiner(1, { phone: { devicePoolName: 'DP_Nowhere' } }),
        ...joiner(2, { partition: 'Nowhere_PT' }),
        ...joiner(3, { phone: { phoneTemplateName: 'No Such Template' } }),
        ...joiner(4, { line: '7999@Internal_PT' }),
        ...joiner(5),
        ...joiner(6),
      ];
      const target = new CucmTarget(config(url), { password: 'secret' });
      try {
        await withStore(dialect, async (store) => {
          await store.createRun({
            id: 'bad-input',
            kind: 'sync',
            state: 'running',
            actor: 'test',
            summary: {},
          });
          await store.journal('bad-input', ops, 'pending');
          const executor = new Executor({
            store,
            targets: new Map([['cucm1', target]]),
            maxAttempts: 2,
            backoffBaseMs: 5,
            backoffMaxMs: 10,
            secrets: undefined,
          });
          await executor.runUntilIdle({ runId: 'bad-input' });

          const all = await store.listOperations({ runId: 'bad-input' });
          const state = (person: string, type: string) =>
            all.find((o) => o.personId === person && o.type === type);
          const failed = (person: string, type: string) => {
            const op = state(person, type);
            assert.equal(op?.state, 'failed', `${person} ${type} failed`);
            return op!.lastError!;
          };

          for (const p of ['p0', 'p6']) {
            for (const type of ['cucm-user', 'cucm-line', 'cucm-phone']) {
              assert.equal(state(p, type)?.state, 'done', `${p} ${type} done`);
            }
          }
          assert.deepEqual(emu.db.users.get('p6')?.associatedDevices, ['CSFP6']);

          const pool = failed('p1', 'cucm-phone');
          assert.equal(pool.code, 'missing_reference');
          assert.match(pool.message, /phone CSFP1: devicePoolName 'DP_Nowhere' does not exist/);
          assert.equal(state('p1', 'cucm-line')?.state, 'done');

          const partition = failed('p2', 'cucm-line');
          assert.equal(partition.code, 'missing_reference');
          assert.match(partition.message, /line 7002@Nowhere_PT: routePartitionName 'Nowhere_PT'/);
          assert.notEqual(state('p2', 'cucm-phone')?.state, 'done', 'the phone waits for its line');

          const template = failed('p3', 'cucm-phone');
          assert.equal(template.code, 'missing_reference');
          assert.match(template.message, /phoneTemplateName 'No Such Template' does not exist/);

          const shared = failed('p4', 'cucm-phone');
          assert.equal(shared.code, 'duplicate');
          assert.match(
            shared.message,
            /line1 7999@Internal_PT is already on phone SEP00000000F999 of user owner9/,
          );
          assert.deepEqual(emu.db.phones.get('SEP00000000F999')?.lines.length, 1);
          assert.equal(emu.db.phones.has('CSFP4'), false, 'nothing was written for p4');

          const html = failed('p5', 'cucm-user');
          assert.equal(html.code, 'unavailable');
          assert.match(
            html.message,
            /getUser with something that is not an AXL response.*text\/html/,
          );
          // A failure a retry cannot help holds that person's later operations for an operator.
          assert.equal(state('p5', 'cucm-line')?.state, 'pending');
        });
      } finally {
        emu.notXmlWhen = undefined;
        await target.close();
      }
    });

    it('credentials that stop working mid-run: a clear auth error, one login try, then back', async () => {
      const target = new CucmTarget(config(url), { password: 'secret' });
      try {
        const line = (key: string) => ({
          action: 'create' as const,
          type: 'cucm-line',
          key,
          attributes: { description: key },
        });
        assert.equal((await target.apply(line('7101@Internal_PT'))).outcome, 'created');
        const logins = target.axl.basicAuthRequests;

        // The AXL password is rotated on Unified CM, and the session ends.
        emu.setPassword('axladmin', 'rotated');
        emu.expireSessions();
        const err = await target.apply(line('7102@Internal_PT')).catch((e: unknown) => e);
        assert.ok(err instanceof CallsignError, String(err));
        assert.equal(err.code, 'auth');
        assert.equal(err.retryable, false);
        assert.match(
          err.message,
          /Unified CM 'cucm1' refused the AXL credentials \(HTTP 401\) on getLine/,
        );
        assert.equal(target.axl.basicAuthRequests, logins + 1, 'one login try, no loop');
        assert.equal(emu.db.lines.has('7102\u0000Internal_PT'), false);

        emu.setPassword('axladmin', 'secret');
        assert.equal((await target.apply(line('7102@Internal_PT'))).outcome, 'created');
      } finally {
        emu.setPassword('axladmin', 'secret');
        await target.close();
      }
    });
  });
}
