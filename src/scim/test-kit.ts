/**
 * Test helpers: the SCIM handler on a throwaway store, called like the HTTP layer would, with
 * the records it hands to `onChange` collected.
 */
import type { SourceRecord } from '../core/model.ts';
import { createTestDatabase, type StoreName } from '../store/testing/databases.ts';
import { openStore } from '../store/open.ts';
import { createScimHandler, type ScimDeps, type ScimResponse } from './scim-handler.ts';
import { scimStoreOf } from './scim-store.ts';

export interface ScimKit {
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ScimResponse & { json: any }>;
  changes: SourceRecord[][];
  deps: ScimDeps;
  close(): Promise<void>;
}

export const BASE_URL = 'https://callsign.test/scim/v2';

/** A handler on a fresh store of the dialect (SQLite by default). */
export async function scimKit(
  options: { dialect?: StoreName; now?: () => Date } = {},
): Promise<ScimKit> {
  const database = await createTestDatabase(options.dialect ?? 'sqlite');
  const store = await openStore(database.url);
  const changes: SourceRecord[][] = [];
  const deps: ScimDeps = {
    store: scimStoreOf(store),
    source: 'scim',
    onChange: async (records) => void changes.push(records),
    clock: options.now ?? (() => new Date('2025-03-01T10:00:00Z')),
  };
  const handler = createScimHandler(deps);
  return {
    changes,
    deps,
    async call(method, path, body, headers = {}) {
      const [p, q] = path.split('?');
      const res = await handler({
        method,
        path: p!,
        query: new URLSearchParams(q ?? ''),
        headers,
        baseUrl: BASE_URL,
        body: body === undefined || typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { ...res, json: res.body as any };
    },
    async close() {
      await store.close();
      await database.dispose();
    },
  };
}

/** A user body as Entra sends it. */
export function entraUser(userName: string, extra: Record<string, unknown> = {}) {
  return {
    schemas: [
      'urn:ietf:params:scim:schemas:core:2.0:User',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
    ],
    userName,
    active: true,
    displayName: userName.split('@')[0],
    emails: [{ type: 'work', value: userName, primary: true }],
    ...extra,
  };
}

/** A PatchOp body. */
export function patchOps(...ops: Record<string, unknown>[]) {
  return { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: ops };
}
