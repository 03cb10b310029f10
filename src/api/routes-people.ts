/** People and their automation flags: twins of `callsign people …`. */
import { CallsignError, ErrorCode } from '../core/errors.ts';
import type { Store } from '../store/types.ts';
import { listOf, ref, type RouteDef } from './route.ts';

const FLAG_VERBS = [
  ['exclude', { excluded: true }, 'Leave this person out of automation entirely'],
  ['include', { excluded: false }, 'Bring an excluded person back into automation'],
  ['pin', { pinned: true }, "Keep this person's resources as they are; rules leave them alone"],
  ['unpin', { pinned: false }, 'Let rules manage this person again'],
] as const;

/** The people routes. */
export const peopleRoutes: RouteDef[] = [
  {
    method: 'get',
    path: '/people',
    scope: 'read',
    tag: 'people',
    summary: 'Every person Callsign knows',
    query: {
      status: {
        schema: { type: 'string', enum: ['active', 'disabled', 'deleted'] },
        description: 'only people in this status',
      },
    },
    response: { status: 200, description: 'The people', schema: listOf('Person') },
    errors: [400],
    handler: async (req, { engine }) => {
      const people = await engine.store.listPeople();
      const status = req.query.status;
      return { body: status === undefined ? people : people.filter((p) => p.status === status) };
    },
  },
  {
    method: 'get',
    path: '/people/{id}',
    scope: 'read',
    tag: 'people',
    summary: 'A person, their resources (links) and numbers',
    params: { id: 'person id' },
    response: { status: 200, description: 'The person', schema: ref('PersonDetail') },
    errors: [404],
    handler: async (req, { engine }) => {
      const person = await requirePerson(engine.store, req.params.id!);
      const [links, numbers] = await Promise.all([
        engine.store.listLinks(person.id),
        engine.store.numbersOf(person.id),
      ]);
      return { body: { person, links, numbers } };
    },
  },
  ...FLAG_VERBS.map(([verb, flags, summary]): RouteDef => ({
    method: 'post',
    path: `/people/{id}/${verb}`,
    scope: 'write',
    tag: 'people',
    summary,
    params: { id: 'person id' },
    response: { status: 200, description: 'The person after the change', schema: ref('Person') },
    errors: [404],
    handler: async (req, { engine }) => {
      await requirePerson(engine.store, req.params.id!);
      await engine.store.setPersonFlags(req.params.id!, flags, req.actor);
      return { body: await engine.store.getPerson(req.params.id!) };
    },
  })),
];

async function requirePerson(store: Store, id: string) {
  const person = await store.getPerson(id);
  if (!person) {
    throw new CallsignError(ErrorCode.NotFound, `Person ${id} does not exist`, {
      details: { personId: id },
    });
  }
  return person;
}
