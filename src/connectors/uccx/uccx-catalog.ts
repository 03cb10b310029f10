/**
 * UCCX names to Admin API references: skills, teams and resource groups, read as lists and kept
 * for a while so one agent's change does not cost three extra GETs. A name that is not in the
 * cached list causes one fresh read before it is called missing (an administrator may just have
 * added the skill).
 */
import { CallsignError, ErrorCode } from '../../core/errors.ts';
import type { CiscoRestClient } from '../ucce/cisco-rest.ts';
import { list, textOf } from '../ucce/cisco-xml.ts';

/** One named item: its name and its path relative to the API base (`skill/2`). */
export interface CatalogItem {
  name: string;
  ref: string;
}

export type CatalogKind = 'skill' | 'team' | 'resourceGroup';

export interface CatalogOptions {
  target: string;
  rest: CiscoRestClient;
  clock: () => Date;
  /** How long a list is trusted; default 5 minutes. */
  ttlMs: number;
}

export class UccxCatalog {
  readonly #options: CatalogOptions;
  readonly #cache = new Map<CatalogKind, { at: number; items: CatalogItem[] }>();

  constructor(options: CatalogOptions) {
    this.#options = options;
  }

  /**
   * Resolves names of one kind; throws missing_reference naming the field and every name that
   * does not exist.
   */
  async resolve(
    kind: CatalogKind,
    names: string[],
    who: { subject: string; field: string },
  ): Promise<Map<string, CatalogItem>> {
    if (names.length === 0) return new Map();
    let items = await this.#items(kind, false);
    if (names.some((n) => find(items, n) === undefined)) items = await this.#items(kind, true);
    const out = new Map<string, CatalogItem>();
    const missing: string[] = [];
    for (const name of names) {
      const item = find(items, name);
      if (item === undefined) missing.push(name);
      else out.set(name, item);
    }
    if (missing.length > 0) {
      const { target } = this.#options;
      const msg =
        `UCCX '${target}' ${who.subject}: ${who.field} ` +
        `${missing.map((m) => `'${m}'`).join(', ')} does not exist`;
      throw new CallsignError(ErrorCode.MissingReference, msg, {
        retryable: false,
        details: { target, field: who.field, missing },
      });
    }
    return out;
  }

  /** The item a reference path points at, if known (for names of foreign skills). */
  async byRef(kind: CatalogKind, ref: string): Promise<CatalogItem | undefined> {
    return (await this.#items(kind, false)).find((i) => i.ref === ref);
  }

  async #items(kind: CatalogKind, fresh: boolean): Promise<CatalogItem[]> {
    const now = this.#options.clock().getTime();
    const cached = this.#cache.get(kind);
    if (!fresh && cached !== undefined && now - cached.at < this.#options.ttlMs) {
      return cached.items;
    }
    const { rest } = this.#options;
    const doc = await rest.get(kind, { subject: `${kind} list` });
    const shape = SHAPES[kind];
    const items = list(doc?.[shape.list], shape.item).map((node) => ({
      name: textOf(node, shape.name) ?? '',
      ref: rest.relative(textOf(node, 'self') ?? `${kind}/${textOf(node, shape.id) ?? ''}`),
    }));
    this.#cache.set(kind, { at: now, items });
    return items;
  }
}

/** Element names of each list, as the UCCX Admin API answers them. */
const SHAPES: Record<CatalogKind, { list: string; item: string; name: string; id: string }> = {
  skill: { list: 'skills', item: 'skill', name: 'skillName', id: 'skillId' },
  team: { list: 'teams', item: 'team', name: 'teamname', id: 'teamId' },
  resourceGroup: { list: 'resourceGroups', item: 'resourceGroup', name: 'name', id: 'id' },
};

function find(items: CatalogItem[], name: string): CatalogItem | undefined {
  return items.find((i) => i.name === name);
}
