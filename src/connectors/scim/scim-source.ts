/**
 * SCIM as a source: the users identity managers pushed to Callsign's SCIM service, read from the
 * SCIM tables of the engine's store. A full read returns every stored user (deleted ones are
 * gone from the tables, so absent); an inactive user is `disabled`. The read is always complete:
 * it is one query on the local database, not a remote directory that can cut it short.
 */
import { CallsignError, ErrorCode } from '../../core/errors.ts';
import type { ScimSourceConfig } from '../../core/config-types.ts';
import type { RecordProblem, Snapshot, SourceRecord } from '../../core/model.ts';
import { parsePatchPath } from '../../scim/filter-parser.ts';
import { userRepresentation } from '../../scim/representation.ts';
import type { ScimStore } from '../../scim/scim-store.ts';
import { DEFAULT_SCIM_MAPPING, toSourceRecord } from '../../scim/source-records.ts';
import type { SourceCapabilities, SourceConnector } from '../types.ts';

/** The SourceConnector over the SCIM service's users. */
export class ScimSource implements SourceConnector {
  readonly name: string;
  readonly kind = 'scim';
  readonly capabilities: SourceCapabilities = { delta: false, writeBack: false, push: true };
  readonly mapping: Record<string, string>;
  readonly #store: ScimStore;

  constructor(config: Pick<ScimSourceConfig, 'name' | 'attributes'>, store: ScimStore) {
    this.name = config.name;
    this.mapping =
      Object.keys(config.attributes).length > 0 ? config.attributes : DEFAULT_SCIM_MAPPING;
    this.#store = store;
    for (const [name, path] of Object.entries(this.mapping)) {
      try {
        parsePatchPath(path);
      } catch (err) {
        const why = (err as Error).message;
        throw new CallsignError(
          ErrorCode.Config,
          `Source '${config.name}': attributes.${name} is not a SCIM path: ${why}`,
          { details: { source: config.name, field: `attributes.${name}` } },
        );
      }
    }
  }

  async readAll(signal?: AbortSignal): Promise<Snapshot> {
    const users = await this.#store.listUsers();
    const groups = await this.#store.groupsByUser();
    signal?.throwIfAborted();
    const records: SourceRecord[] = [];
    const problems: RecordProblem[] = [];
    for (const user of users) {
      const rep = userRepresentation({ user, groups: groups.get(user.id) ?? [], baseUrl: '' });
      try {
        records.push(toSourceRecord({ source: this.name, mapping: this.mapping, user: rep }));
      } catch (err) {
        problems.push({ source: this.name, record: user.id, message: (err as Error).message });
      }
    }
    return { source: this.name, records, complete: true, problems };
  }

  async close(): Promise<void> {}
}
