/**
 * A UCCE/PCCE Configuration API (`/unifiedconfig/config`) for tests, built from Cisco's
 * published guide: persons, agents and skill groups in XML; create answers 201 with Location;
 * every PUT must carry the item's current changeStamp (missing or stale is refused) and bumps
 * it; login names and agent ids are unique among items not deleted; delete is deferred (the
 * item stays, marked deleted, until `purge()`, and leaves the lists); refusals come as
 * `apiErrors/apiError`. Lists page with startIndex/resultsPerPage and filter with `q`.
 * Agent teams hold an `agents` list that a PUT replaces whole (with the changeStamp, like every
 * update); an agent is a member of one team at most, and deleting an agent takes it out of its
 * team, as the guide says.
 * Test code only.
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
} from './rest-kit.ts';

export interface UccePerson {
  id: string;
  changeStamp: number;
  firstName: string;
  lastName: string;
  userName: string;
  password: string;
  loginEnabled: string;
  deleted: boolean;
}

export interface UcceAgent {
  id: string;
  changeStamp: number;
  agentId: string;
  description: string;
  personId: string;
  skillGroupIds: string[];
  deleted: boolean;
}

export interface UcceAgentTeam {
  id: string;
  changeStamp: number;
  name: string;
  description: string;
  /** Ids of member agents. */
  agentIds: string[];
}

export class UcceEmulator extends RestEmulator {
  readonly persons = new Map<string, UccePerson>();
  readonly agents = new Map<string, UcceAgent>();
  readonly skillGroups = new Map<string, { name: string; changeStamp: number }>();
  readonly agentTeams = new Map<string, UcceAgentTeam>();
  /** Runs once just before the next PUT is checked: another administrator saving first. */
  onNextPut: (() => void) | undefined;
  #nextId = 5000;

  constructor(options: { accounts?: { username: string; password: string }[] } = {}) {
    super(
      {
        prefix: '/unifiedconfig/config',
        ...(options.accounts ? { accounts: options.accounts } : {}),
      },
      (req) => this.#route(req.method, req.path, req.query, req.body),
    );
  }

  addSkillGroup(name: string): string {
    const id = String(this.#nextId++);
    this.skillGroups.set(id, { name, changeStamp: 0 });
    return id;
  }

  addAgentTeam(name: string): string {
    const id = String(this.#nextId++);
    this.agentTeams.set(id, { id, changeStamp: 0, name, description: '', agentIds: [] });
    return id;
  }

  /** The team's member agents by login name, for tests. */
  teamMembers(name: string): string[] {
    const team = [...this.agentTeams.values()].find((t) => t.name === name);
    return (team?.agentIds ?? []).map(
      (id) => this.persons.get(this.agents.get(id)?.personId ?? '')?.userName ?? `?${id}`,
    );
  }

  /** Someone else saved the item: its changeStamp moves on. */
  touch(kind: 'agent' | 'person', id: string): void {
    const item = kind === 'agent' ? this.agents.get(id) : this.persons.get(id);
    if (item !== undefined) item.changeStamp += 1;
  }

  /** The logger's purge of items marked deleted. */
  purge(): void {
    for (const [id, a] of this.agents) if (a.deleted) this.agents.delete(id);
    for (const [id, p] of this.persons) if (p.deleted) this.persons.delete(id);
  }

  clear(): void {
    this.persons.clear();
    this.agents.clear();
    this.skillGroups.clear();
    this.agentTeams.clear();
    this.requests.length = 0;
    this.onNextPut = undefined;
  }

  #route(method: string, path: string, query: URLSearchParams, body: string): Reply {
    const [kind, id, ...rest] = path.split('/');
    if (rest.length > 0 || !['person', 'agent', 'skillgroup', 'agentteam'].includes(kind ?? '')) {
      throw notFound(path);
    }
    if (kind === 'agentteam') return this.#routeTeam(method, id, query, body);
    if (id === undefined) {
      if (method === 'GET') return this.#list(kind!, query);
      if (method === 'POST' && kind === 'person')
        return this.#createPerson(parseBody(body, 'person'));
      if (method === 'POST' && kind === 'agent') return this.#createAgent(parseBody(body, 'agent'));
      throw new ApiRefusal(405, 'methodNotAllowed', '', `${method} not allowed on ${kind}`);
    }
    if (kind === 'skillgroup') {
      const group = this.skillGroups.get(id);
      if (group === undefined || method !== 'GET') throw notFound(path);
      return ok({ skillGroup: this.#skillGroupXml(id) });
    }
    const item = kind === 'person' ? this.persons.get(id) : this.agents.get(id);
    if (item === undefined) throw notFound(path);
    if (method === 'GET') {
      const doc = kind === 'person' ? this.#personXml(id) : this.#agentXml(id);
      return ok({ [kind!]: { ...doc, ...(item.deleted ? { deleted: 'true' } : {}) } });
    }
    if (method === 'DELETE') {
      if (item.deleted) throw notFound(path);
      item.deleted = true; // deferred: the item stays until the purge
      if (kind === 'agent') {
        for (const team of this.agentTeams.values()) {
          team.agentIds = team.agentIds.filter((a) => a !== id);
        }
      }
      return { status: 200 };
    }
    if (method === 'PUT') {
      const node = parseBody(body, kind!);
      const hook = this.onNextPut;
      this.onNextPut = undefined; // before the call: the hook may set the next one
      hook?.();
      checkStamp(node, item.changeStamp);
      if (item.deleted) {
        throw new ApiRefusal(
          400,
          'invalidInput.markedForDeletion',
          '',
          `${kind} ${id} is marked for deletion`,
        );
      }
      if (kind === 'person') this.#updatePerson(item as UccePerson, node);
      else this.#updateAgent(item as UcceAgent, node);
      item.changeStamp += 1;
      return { status: 200 };
    }
    throw new ApiRefusal(405, 'methodNotAllowed', '', `${method} not allowed on ${kind}/${id}`);
  }

  #routeTeam(method: string, id: string | undefined, query: URLSearchParams, body: string) {
    if (id === undefined) {
      if (method === 'GET') return this.#list('agentteam', query);
      throw new ApiRefusal(405, 'methodNotAllowed', '', `${method} not allowed on agentteam`);
    }
    const team = this.agentTeams.get(id);
    if (team === undefined) throw notFound(`agentteam/${id}`);
    if (method === 'GET') return ok({ agentTeam: this.#teamXml(team) });
    if (method !== 'PUT') {
      throw new ApiRefusal(405, 'methodNotAllowed', '', `${method} not allowed on agentteam/${id}`);
    }
    const node = parseBody(body, 'agentTeam');
    refuseUnknown(node, TEAM_WRITE, 'agentTeam');
    const hook = this.onNextPut;
    this.onNextPut = undefined;
    hook?.();
    checkStamp(node, team.changeStamp);
    const name = text(node, 'name') ?? team.name;
    if (name === '' || name.length > 32) {
      throw new ApiRefusal(
        400,
        'invalidInput.outOfRange',
        'name',
        'name must be 1 to 32 characters',
      );
    }
    let agentIds = team.agentIds;
    if (node.agents !== undefined) {
      agentIds = [];
      for (const a of items(node.agents, 'agent')) {
        const agentId = idOfRef(text(a, 'refURL'));
        const agent = agentId === undefined ? undefined : this.agents.get(agentId);
        if (agentId === undefined || agent === undefined || agent.deleted) {
          const msg = `The agent ${text(a, 'refURL') ?? ''} does not exist`;
          throw new ApiRefusal(400, 'invalidInput.invalidReference', 'agents', msg);
        }
        const other = [...this.agentTeams.values()].find(
          (t) => t.id !== team.id && t.agentIds.includes(agentId),
        );
        if (other !== undefined) {
          const msg = `Agent ${agent.agentId} is already a member of team ${other.name}`;
          throw new ApiRefusal(400, 'invalidInput.agentInAnotherTeam', 'agents', msg);
        }
        if (!agentIds.includes(agentId)) agentIds.push(agentId);
      }
    }
    team.name = name;
    team.description = text(node, 'description') ?? team.description;
    team.agentIds = agentIds;
    team.changeStamp += 1;
    return { status: 200 };
  }

  #teamXml(team: UcceAgentTeam, summary = false): Node {
    const out: Node = {
      refURL: `/unifiedconfig/config/agentteam/${team.id}`,
      changeStamp: String(team.changeStamp),
      name: team.name,
      description: team.description,
    };
    if (summary) return out;
    out.agents = {
      agent: team.agentIds.map((id) => {
        const a = this.agents.get(id)!;
        const p = this.persons.get(a.personId);
        return {
          refURL: `/unifiedconfig/config/agent/${id}`,
          agentId: a.agentId,
          userName: p?.userName ?? '',
        };
      }),
    };
    out.supervisors = '';
    return out;
  }

  #createPerson(node: Node): Reply {
    refuseUnknown(node, PERSON_WRITE, 'person');
    const userName = text(node, 'userName') ?? '';
    if (userName === '') throw missing('userName');
    const person: UccePerson = {
      id: String(this.#nextId++),
      changeStamp: 0,
      firstName: '',
      lastName: '',
      userName,
      password: '',
      loginEnabled: 'true',
      deleted: false,
    };
    this.#updatePerson(person, node);
    this.persons.set(person.id, person);
    return created(`${this.base}/person/${person.id}`);
  }

  #updatePerson(person: UccePerson, node: Node): void {
    refuseUnknown(node, PERSON_WRITE, 'person');
    const next = { ...person };
    for (const field of [
      'firstName',
      'lastName',
      'userName',
      'password',
      'loginEnabled',
    ] as const) {
      const value = text(node, field);
      if (value !== undefined) next[field] = value;
    }
    for (const field of ['firstName', 'lastName'] as const) {
      if (next[field].length > 32) {
        throw new ApiRefusal(
          400,
          'invalidInput.outOfRange',
          field,
          `${field} is longer than 32 characters`,
        );
      }
    }
    const taken = [...this.persons.values()].some(
      (p) =>
        !p.deleted &&
        p.id !== person.id &&
        p.userName.toLowerCase() === next.userName.toLowerCase(),
    );
    if (taken) {
      throw new ApiRefusal(
        400,
        'invalidInput.duplicateName',
        'userName',
        `The user name ${next.userName} is already in use`,
      );
    }
    Object.assign(person, next);
  }

  #createAgent(node: Node): Reply {
    refuseUnknown(node, AGENT_WRITE, 'agent');
    const personId = idOfRef(text(node.person, 'refURL'));
    if (personId === undefined) throw missing('person');
    const agent: UcceAgent = {
      id: String(this.#nextId++),
      changeStamp: 0,
      agentId: '',
      description: '',
      personId,
      skillGroupIds: [],
      deleted: false,
    };
    this.#updateAgent(agent, node);
    if (agent.agentId === '') agent.agentId = String(1000 + this.agents.size);
    this.agents.set(agent.id, agent);
    return created(`${this.base}/agent/${agent.id}`);
  }

  #updateAgent(agent: UcceAgent, node: Node): void {
    refuseUnknown(node, AGENT_WRITE, 'agent');
    const next = { ...agent };
    const personId =
      node.person === undefined ? agent.personId : idOfRef(text(node.person, 'refURL'));
    const person = personId === undefined ? undefined : this.persons.get(personId);
    if (person === undefined || person.deleted) {
      throw new ApiRefusal(
        400,
        'invalidInput.invalidReference',
        'person',
        'The person does not exist',
      );
    }
    const holder = [...this.agents.values()].find(
      (a) => !a.deleted && a.personId === personId && a.id !== agent.id,
    );
    if (holder !== undefined) {
      throw new ApiRefusal(
        400,
        'invalidInput.duplicatePerson',
        'person',
        'The person already has an agent',
      );
    }
    next.personId = person.id;
    const agentId = text(node, 'agentId');
    if (agentId !== undefined && agentId !== '') {
      if (!/^\d{1,11}$/.test(agentId)) {
        throw new ApiRefusal(
          400,
          'invalidInput.outOfRange',
          'agentId',
          'agentId must be 1 to 11 digits',
        );
      }
      const used = [...this.agents.values()].some(
        (a) => !a.deleted && a.agentId === agentId && a.id !== agent.id,
      );
      if (used)
        throw new ApiRefusal(
          400,
          'invalidInput.duplicateAgentId',
          'agentId',
          `Agent id ${agentId} is in use`,
        );
      next.agentId = agentId;
    }
    const description = text(node, 'description');
    if (description !== undefined) {
      if (description.length > 255) {
        throw new ApiRefusal(
          400,
          'invalidInput.outOfRange',
          'description',
          'description is longer than 255 characters',
        );
      }
      next.description = description;
    }
    if (node.skillGroups !== undefined) {
      next.skillGroupIds = items(node.skillGroups, 'skillGroup').map((g) => {
        const id = idOfRef(text(g, 'refURL'));
        if (id === undefined || !this.skillGroups.has(id)) {
          const msg = `The skill group ${text(g, 'refURL') ?? ''} does not exist`;
          throw new ApiRefusal(400, 'invalidInput.invalidReference', 'skillGroups', msg);
        }
        return id;
      });
    }
    Object.assign(agent, next);
  }

  #list(kind: string, query: URLSearchParams): Reply {
    const q = (query.get('q') ?? '').toLowerCase();
    const start = Number(query.get('startIndex') ?? '0');
    const per = Math.min(Number(query.get('resultsPerPage') ?? '25'), 100);
    let all: Node[];
    if (kind === 'person') {
      all = [...this.persons.values()]
        .filter((p) => !p.deleted && match(q, [p.userName, p.firstName, p.lastName]))
        .map((p) => this.#personXml(p.id));
    } else if (kind === 'agent') {
      all = [...this.agents.values()]
        .filter((a) => {
          const p = this.persons.get(a.personId);
          return (
            !a.deleted &&
            match(q, [p?.userName ?? '', p?.firstName ?? '', p?.lastName ?? '', a.agentId])
          );
        })
        .map((a) => this.#agentXml(a.id));
    } else if (kind === 'agentteam') {
      all = [...this.agentTeams.values()]
        .filter((t) => match(q, [t.name, t.description]))
        .map((t) => this.#teamXml(t, true));
    } else {
      all = [...this.skillGroups]
        .filter(([, g]) => match(q, [g.name]))
        .map(([id]) => this.#skillGroupXml(id));
    }
    const page = all.slice(start, start + per);
    const single = kind === 'skillgroup' ? 'skillGroup' : kind === 'agentteam' ? 'agentTeam' : kind;
    const plural = `${single}s`;
    return ok({
      results: {
        pageInfo: {
          resultsPerPage: String(per),
          startIndex: String(start),
          totalResults: String(all.length),
        },
        [plural]: { [single]: page },
      },
    });
  }

  #personXml(id: string): Node {
    const p = this.persons.get(id)!;
    return {
      refURL: `/unifiedconfig/config/person/${id}`,
      changeStamp: String(p.changeStamp),
      firstName: p.firstName,
      lastName: p.lastName,
      userName: p.userName,
      loginEnabled: p.loginEnabled,
    };
  }

  #agentXml(id: string): Node {
    const a = this.agents.get(id)!;
    const p = this.persons.get(a.personId);
    return {
      refURL: `/unifiedconfig/config/agent/${id}`,
      changeStamp: String(a.changeStamp),
      agentId: a.agentId,
      description: a.description,
      person: {
        refURL: `/unifiedconfig/config/person/${a.personId}`,
        firstName: p?.firstName ?? '',
        lastName: p?.lastName ?? '',
        userName: p?.userName ?? '',
      },
      skillGroups: {
        skillGroup: a.skillGroupIds.map((g) => ({
          refURL: `/unifiedconfig/config/skillgroup/${g}`,
          name: this.skillGroups.get(g)?.name ?? '',
        })),
      },
    };
  }

  #skillGroupXml(id: string): Node {
    const g = this.skillGroups.get(id)!;
    return {
      refURL: `/unifiedconfig/config/skillgroup/${id}`,
      changeStamp: String(g.changeStamp),
      name: g.name,
    };
  }
}

const PERSON_WRITE = [
  'refURL',
  'changeStamp',
  'firstName',
  'lastName',
  'userName',
  'password',
  'loginEnabled',
] as const;
const AGENT_WRITE = [
  'refURL',
  'changeStamp',
  'agentId',
  'description',
  'person',
  'skillGroups',
] as const;

const TEAM_WRITE = [
  'refURL',
  'changeStamp',
  'name',
  'description',
  'agents',
  'supervisors',
] as const;

/** A PUT must name the changeStamp it read; a stale one means someone saved in between. */
function checkStamp(node: Node, current: number): void {
  const stamp = text(node, 'changeStamp');
  if (stamp === undefined || stamp === '') {
    throw new ApiRefusal(
      400,
      'invalidInput.missingParameter',
      'changeStamp',
      'changeStamp is required for an update',
    );
  }
  if (Number(stamp) !== current) {
    const msg = `The item was changed by another user (changeStamp ${stamp}, current ${current})`;
    throw new ApiRefusal(400, 'invalidInput.changeStampMismatch', 'changeStamp', msg);
  }
}

function match(q: string, values: string[]): boolean {
  return q === '' || values.some((v) => v.toLowerCase().includes(q));
}

function missing(field: string): ApiRefusal {
  return new ApiRefusal(400, 'invalidInput.missingParameter', field, `${field} is required`);
}

function created(location: string): Reply {
  return { status: 201, headers: { Location: location } };
}

function ok(doc: Node): Reply {
  return { status: 200, body: xml(doc) };
}

function notFound(path: string): ApiRefusal {
  return new ApiRefusal(404, 'notFound', '', `No item at ${path}`);
}
