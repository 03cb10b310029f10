/**
 * Deterministic made-up people for the lab directory and the demo: the same count gives the
 * same people, so tests can name them.
 */
import type { LabPerson } from './person-entry.ts';

export interface LabPeopleOptions {
  /** Number of the first person (default 1): `p00001`. */
  first?: number;
  /** Mail domain (default `example.com`). */
  domain?: string;
}

/** Generates `count` people with varied sites, departments, titles and worker types. */
export function generateLabPeople(count: number, options: LabPeopleOptions = {}): LabPerson[] {
  const first = options.first ?? 1;
  const domain = options.domain ?? 'example.com';
  const people: LabPerson[] = [];

  for (let n = first; n < first + count; n++) {
    const givenName = GIVEN[n % GIVEN.length]!;
    const sn = `${SURNAMES[Math.floor(n / GIVEN.length) % SURNAMES.length]}${n}`;
    const uid = `p${String(n).padStart(5, '0')}`;
    people.push({
      uid,
      givenName,
      sn,
      cn: `${givenName} ${sn}`,
      mail: `${uid}@${domain}`,
      employeeNumber: `E${String(n).padStart(6, '0')}`,
      departmentNumber: DEPARTMENTS[n % DEPARTMENTS.length]!,
      l: SITES[n % SITES.length]!,
      title: TITLES[n % TITLES.length]!,
      employeeType: n % 7 === 0 ? 'contractor' : 'employee',
    });
  }
  return people;
}

const GIVEN = ['Ada', 'Ben', 'Chloe', 'Dev', 'Elif', 'Femi', 'Greta', 'Hiro', 'Ines', 'Jon'];
const SURNAMES = ['Abbott', 'Baker', 'Castro', 'Dunn', 'Evans', 'Fox', 'Gill', 'Holt'];
const DEPARTMENTS = ['Sales', 'Support', 'Engineering', 'Finance', 'Contact Center'];
const SITES = ['nyc', 'sfo', 'lon'];
const TITLES = ['Analyst', 'Engineer', 'Agent', 'Manager', 'Director'];
