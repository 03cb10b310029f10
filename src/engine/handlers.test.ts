/**
 * The write-back handler hands the source a cleared attribute (null) for an empty value, so
 * no source is asked to write '' as a phone number.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SourceConnector, WriteBackValues } from '../connectors/types.ts';
import type { Store } from '../store/types.ts';
import { writeBackHandler } from './handlers.ts';

function recording() {
  const writes: WriteBackValues[] = [];
  const source = {
    name: 'dir',
    writeBack: async (_record: { externalId: string; dn?: string }, values: WriteBackValues) => {
      writes.push(values);
    },
  } as unknown as SourceConnector;
  // The handler only looks up the person's DN; an unknown person is written by externalId.
  const store = { findPersonBySourceLink: async () => undefined } as unknown as Store;
  return { writes, handler: writeBackHandler({ store, source }) };
}

test('an empty value (a number taken away) clears the attribute', async () => {
  const { writes, handler } = recording();
  const result = await handler({
    action: 'update',
    type: 'writeback',
    key: 'uuid-1',
    attributes: { telephoneNumber: '', ipPhone: '2001' },
    before: { telephoneNumber: '+12125550101' },
  });
  assert.equal(result.outcome, 'updated');
  assert.deepEqual(writes, [{ telephoneNumber: null, ipPhone: '2001' }]);
});

test('a delete clears every attribute it names', async () => {
  const { writes, handler } = recording();
  const change = { type: 'writeback', key: 'uuid-1', attributes: { telephoneNumber: '+1212' } };
  await handler({ ...change, action: 'delete' });
  assert.deepEqual(writes, [{ telephoneNumber: null }]);
});
