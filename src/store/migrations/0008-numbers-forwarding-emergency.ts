/**
 * Leaver forwarding, emergency locations and pins on the number inventory (issue 4):
 * - `numbers.forward` (JSON `{ to, extension?, via, until }`): where a leaver's number rings
 *   while it is in state `forwarding`; `available_at` holds the same `until`, so lists show it.
 * - `numbers.emergency` (JSON `{ location?, elin?, callback? }`): this number's emergency data
 *   when it differs from its pool's (site's) configuration.
 * - `numbers.pinned_to`: the person an administrator pinned the number to; allocation gives it
 *   to them first and to nobody else.
 */
import type { Kysely, Migration } from 'kysely';

const COLUMNS = ['forward', 'emergency', 'pinned_to'] as const;

/** Builds the migration; plain nullable columns read the same on both dialects. */
export function numbersForwardingEmergencySchema(): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      for (const column of COLUMNS) {
        await db.schema.alterTable('numbers').addColumn(column, 'text').execute();
      }
    },
    async down(db: Kysely<any>): Promise<void> {
      for (const column of COLUMNS) {
        await db.schema.alterTable('numbers').dropColumn(column).execute();
      }
    },
  };
}
