/**
 * The store's migrations, in code so they ship with the source and run without a build step.
 * Each numbered file defines one migration; names sort in the order they apply.
 */
import type { Migration, MigrationProvider } from 'kysely';

import { initialSchema } from './0001-initial.ts';
import { scimSchema } from './0002-scim.ts';
import { apiSchema } from './0003-api.ts';
import { sourcePresenceSchema } from './0004-source-presence.ts';
import { webhooksSchema } from './0005-webhooks.ts';
import { numberPolicySchema } from './0006-number-policy.ts';
import { notificationsSchema } from './0007-notifications.ts';
import { numbersForwardingEmergencySchema } from './0008-numbers-forwarding-emergency.ts';
import { operationsByResourceSchema } from './0009-operations-by-resource.ts';

export type StoreDialect = 'sqlite' | 'postgres';

/** The migration provider for one dialect. */
export function migrationProvider(dialect: StoreDialect): MigrationProvider {
  return {
    async getMigrations(): Promise<Record<string, Migration>> {
      return {
        '0001-initial': initialSchema(dialect),
        '0002-scim': scimSchema(),
        '0003-api': apiSchema(),
        '0004-source-presence': sourcePresenceSchema(),
        '0005-webhooks': webhooksSchema(dialect),
        '0006-number-policy': numberPolicySchema(),
        '0007-notifications': notificationsSchema(),
        '0008-numbers-forwarding-emergency': numbersForwardingEmergencySchema(),
        '0009-operations-by-resource': operationsByResourceSchema(),
      };
    },
  };
}
