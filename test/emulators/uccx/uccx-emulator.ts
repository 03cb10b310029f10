/**
 * A UCCX Admin API (`/adminapi`) for tests, built from Cisco's published guide: resources
 * (agents) appear only when "CUCM" syncs a user with an IPCC extension, after a delay read from
 * an injected clock; a resource PUT replaces the whole object and is checked (known elements,
 * userID and extension unchanged, team present, references exist, competence 1–10); skills,
 * teams and resource groups are listed, and skill names are unique. Test code only.
 */
import {
  ApiRefusal,
  type Node,
  type Reply,
  RestEmulator,
  idOfRef,
  items,
  parseBody,
  refuseUnknown,
  text,
  xml,
} from '../ucce/rest-kit.ts';

export interface UccxResource {
  userID: string;
  firstName: string;
  lastName: string;
  extension: string;
  teamId: string;
  resourceGroupId?: string;
  /** Skill id to competence level. */
  skills: Map<string, number>;
}

/** A CUCM end user as UCCX's sync sees it: only those with an IPCC extension matter. */
export interface CucmAgentUser {
  userID: string;
  extension: string;
  firstName?: string;
  lastName?: string;
}

export interface UccxEmulatorOptions {
  clock?: () => Date;
  accounts?: { username: string; password: string }[];
  /**
   * Where "CUCM" is read from, the way UCCX's own AXL sync reads end users with an IPCC
   * extension: a user that appears becomes a resource `syncDelayMs` later, one whose IPCC
   * extension is gone loses its resource as late, and a changed extension follows. Without it,
   * tests feed users by hand with `syncUser`.
   */
  cucm?: { users: () => Iterable<CucmAgentUser>; syncDelayMs?: number };
}

export class UccxEmulator extends RestEmulator {
  readonly skills = new Map<string, string>();
  readonly teams = new Map<string, string>([['1', 'Default']]);
  readonly resourceGroups = new Map<string, string>();
  readonly resources = new Map<string, UccxResource>();
  /** Users CUCM gave an IPCC extension, not yet synced: visible from `at`. */
  readonly pending = new Map<string, { at: number; resource: UccxResource }>();
  /** Resources whose user left CUCM's agent list: removed from `at`. */
  readonly leaving = new Map<string, number>();
  readonly #clock: () => Date;
  readonly #cucm: UccxEmulatorOptions['cucm'];
  #nextId = 100;

  constructor(options: UccxEmulatorOptions = {}) {
    super(
      { prefix: '/adminapi', ...(options.accounts ? { accounts: options.accounts } : {}) },
      (req) => this.#route(req.method, req.path, req.body),
    );
    this.#clock = options.clock ?? (() => new Date());
    this.#cucm = options.cucm;
  }

  /** Adds a skill, team or resource group directly (the admin pages); returns its id. */
  add(kind: 'skill' | 'team' | 'resourceGroup', name: string): string {
    const id = String(this.#nextId++);
    const table =
      kind === 'skill' ? this.skills : kind === 'team' ? this.teams : this.resourceGroups;
    table.set(id, name);
    return id;
  }

  /** CUCM gave `userID` an IPCC extension; UCCX sees it `afterMs` later by the clock. */
  syncUser(
    user: { userID: string; extension: string; firstName?: string; lastName?: string },
    afterMs = 0,
  ): void {
    const resource: UccxResource = {
      userID: user.userID,
      firstName: user.firstName ?? '',
      lastName: user.lastName ?? user.userID,
      extension: user.extension,
      teamId: '1',
      skills: new Map(),
    };
    this.pending.set(user.userID, { at: this.#clock().getTime() + afterMs, resource });
  }

  /** CUCM removed the IPCC extension: the resource goes. */
  unsyncUser(userID: string): void {
    this.pending.delete(userID);
    this.resources.delete(userID);
  }

  clear(): void {
    this.skills.clear();
    this.teams.clear();
    this.teams.set('1', 'Default');
    this.resourceGroups.clear();
    this.resources.clear();
    this.pending.clear();
    this.leaving.clear();
    this.requests.length = 0;
  }

  /** Runs UCCX's periodic sync now (it also runs before every request). */
  syncNow(): void {
    this.#sync();
  }

  #route(method: string, path: string, body: string): Reply {
    this.#sync();
    const [kind, id, ...rest] = path.split('/').map(decodeURIComponent);
    if (rest.length > 0) throw notFound(path);
    if (kind === 'resource') {
      if (id === undefined && method === 'GET')
        return ok({
          resources: { resource: [...this.resources.values()].map((r) => this.#resourceXml(r)) },
        });
      const resource = id === undefined ? undefined : this.resources.get(id);
      if (resource === undefined) throw notFound(path);
      if (method === 'GET') return ok({ resource: this.#resourceXml(resource) });
      if (method === 'PUT') return this.#putResource(resource, parseBody(body, 'resource'));
      throw new ApiRefusal(405, 'methodNotAllowed', '', `${method} not allowed on resource`);
    }
    if (kind === 'skill' && method === 'POST' && id === undefined) return this.#postSkill(body);
    if ((kind === 'skill' || kind === 'team' || kind === 'resourceGroup') && method === 'GET') {
      if (id !== undefined) throw notFound(path);
      return ok(this.#list(kind));
    }
    throw notFound(path);
  }

  #sync(): void {
    const now = this.#clock().getTime();
    if (this.#cucm !== undefined) this.#readCucm(now);
    for (const [userID, at] of this.leaving) {
      if (at > now) continue;
      this.resources.delete(userID);
      this.leaving.delete(userID);
    }
    for (const [userID, p] of this.pending) {
      if (p.at > now) continue;
      this.resources.set(userID, p.resource);
      this.pending.delete(userID);
    }
  }

  /** What UCCX's periodic AXL read of CUCM would find; changes land after the delay. */
  #readCucm(now: number): void {
    const delay = this.#cucm?.syncDelayMs ?? 0;
    const agents = new Map<string, CucmAgentUser>();
    for (const user of this.#cucm?.users() ?? []) {
      if (user.extension !== '') agents.set(user.userID, user);
    }
    for (const [userID, user] of agents) {
      this.leaving.delete(userID);
      const resource = this.resources.get(userID);
      const pending = this.pending.get(userID);
      if (resource !== undefined) {
        resource.extension = user.extension;
        resource.firstName = user.firstName ?? resource.firstName;
        resource.lastName = user.lastName ?? resource.lastName;
      } else if (pending === undefined) this.syncUser(user, delay);
      else pending.resource.extension = user.extension;
    }
    for (const userID of this.pending.keys()) {
      if (!agents.has(userID)) this.pending.delete(userID);
    }
    for (const userID of this.resources.keys()) {
      if (!agents.has(userID) && !this.leaving.has(userID)) this.leaving.set(userID, now + delay);
    }
  }

  #postSkill(body: string): Reply {
    const node = parseBody(body, 'skill');
    refuseUnknown(node, ['skillName', 'self', 'skillId'], 'skill');
    const name = text(node, 'skillName') ?? '';
    if (name === '')
      throw new ApiRefusal(
        400,
        'invalidInput.missingParameter',
        'skillName',
        'skillName is required',
      );
    if ([...this.skills.values()].includes(name)) {
      throw new ApiRefusal(
        400,
        'invalidInput.duplicateName',
        'skillName',
        `A skill named ${name} already exists`,
      );
    }
    const id = this.add('skill', name);
    return { status: 201, headers: { Location: `${this.base}/skill/${id}` } };
  }

  #putResource(resource: UccxResource, node: Node): Reply {
    refuseUnknown(node, RESOURCE_ELEMENTS, 'resource');
    for (const required of ['userID', 'extension', 'team']) {
      if (node[required] === undefined) {
        const msg = `${required} is required: a resource PUT carries the whole object`;
        throw new ApiRefusal(400, 'invalidInput.missingParameter', required, msg);
      }
    }
    for (const [field, held] of [
      ['userID', resource.userID],
      ['extension', resource.extension],
    ] as const) {
      if (text(node, field) !== held) {
        const msg = `${field} comes from Unified CM and cannot be changed here`;
        throw new ApiRefusal(400, 'invalidInput.readOnly', field, msg);
      }
    }
    const teamId = this.#ref(node.team, this.teams, 'team');
    const group = node.resourceGroup;
    const groupId =
      group === undefined ? undefined : this.#ref(group, this.resourceGroups, 'resourceGroup');
    const skills = new Map<string, number>();
    for (const c of items(node.skillMap, 'skillCompetency')) {
      const skillId = this.#ref(c.skillNameUriPair, this.skills, 'skillNameUriPair');
      const level = Number(text(c, 'competencelevel'));
      if (!Number.isInteger(level) || level < 1 || level > 10) {
        const msg = `competencelevel must be between 1 and 10, not ${text(c, 'competencelevel')}`;
        throw new ApiRefusal(400, 'invalidInput.outOfRange', 'competencelevel', msg);
      }
      skills.set(skillId, level);
    }
    // The whole object is replaced: what the PUT leaves out is gone.
    resource.teamId = teamId;
    if (groupId === undefined) delete resource.resourceGroupId;
    else resource.resourceGroupId = groupId;
    resource.skills = skills;
    return { status: 200 };
  }

  #ref(value: unknown, table: Map<string, string>, field: string): string {
    const id = idOfRef(text(value, 'refURL'));
    if (id === undefined || !table.has(id)) {
      const msg = `${field} refers to ${text(value, 'refURL') ?? 'nothing'}, which does not exist`;
      throw new ApiRefusal(400, 'invalidInput.invalidReference', field, msg);
    }
    return id;
  }

  #resourceXml(r: UccxResource): Node {
    const out: Node = {
      self: `${this.base}/resource/${encodeURIComponent(r.userID)}`,
      userID: r.userID,
      firstName: r.firstName,
      lastName: r.lastName,
      extension: r.extension,
      alias: '',
    };
    if (r.resourceGroupId !== undefined) {
      out.resourceGroup = this.#refXml('resourceGroup', r.resourceGroupId, this.resourceGroups);
    }
    out.skillMap = {
      skillCompetency: [...r.skills].map(([id, level]) => ({
        competencelevel: String(level),
        skillNameUriPair: this.#refXml('skill', id, this.skills),
      })),
    };
    out.autoAvailable = 'true';
    out.type = '1';
    out.team = this.#refXml('team', r.teamId, this.teams);
    out.primarySupervisorOf = '';
    out.secondarySupervisorOf = '';
    return out;
  }

  #refXml(kind: string, id: string, table: Map<string, string>): Node {
    return { '@_name': table.get(id) ?? '', refURL: `${this.base}/${kind}/${id}` };
  }

  #list(kind: 'skill' | 'team' | 'resourceGroup'): Node {
    const self = (id: string) => `${this.base}/${kind}/${id}`;
    if (kind === 'skill') {
      return {
        skills: {
          skill: [...this.skills].map(([id, name]) => ({
            self: self(id),
            skillId: id,
            skillName: name,
          })),
        },
      };
    }
    if (kind === 'team') {
      return {
        teams: {
          team: [...this.teams].map(([id, name]) => ({
            self: self(id),
            teamId: id,
            teamname: name,
          })),
        },
      };
    }
    return {
      resourceGroups: {
        resourceGroup: [...this.resourceGroups].map(([id, name]) => ({ self: self(id), id, name })),
      },
    };
  }
}

const RESOURCE_ELEMENTS = [
  'self',
  'userID',
  'firstName',
  'lastName',
  'extension',
  'alias',
  'resourceGroup',
  'skillMap',
  'autoAvailable',
  'type',
  'team',
  'primarySupervisorOf',
  'secondarySupervisorOf',
] as const;

function ok(doc: Node): Reply {
  return { status: 200, body: xml(doc) };
}

function notFound(path: string): ApiRefusal {
  return new ApiRefusal(404, 'notFound', '', `No item at ${path}`);
}
