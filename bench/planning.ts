/**
 * Planning throughput: 100,000 synthetic people through 20 CEL rules, each classified, decided
 * and planned against synthetic numbers and links. Target: 20,000 people/s, peak RSS < 600 MB.
 * Run alone with `node --import tsx bench/planning.ts`.
 */
import { pathToFileURL } from 'node:url';
import type {
  CallsignConfig,
  PoolConfig,
  ProfileConfig,
  RuleConfig,
} from '../src/core/config-types.ts';
import { classify } from '../src/core/lifecycle.ts';
import type { HeldNumber, Link, Person } from '../src/core/model.ts';
import { compileProfiles, planPerson, writeBackOf } from '../src/core/planner.ts';
import { compileRules } from '../src/core/rules.ts';

const PEOPLE = 100_000;
const SITES = Array.from({ length: 10 }, (_, i) => `site${i}`);
const DEPARTMENTS = ['Sales', 'Support', 'Finance', 'Legal', 'R&D'];

/** Runs the benchmark once and returns its figures. */
export async function benchPlanning(): Promise<{ peoplePerSecond: number; peakRssMb: number }> {
  const config = syntheticConfig();
  const rules = compileRules(config);
  const profiles = compileProfiles(config.profiles);
  const writeBack = writeBackOf(config);
  const people = Array.from({ length: PEOPLE }, (_, i) => syntheticPerson(i));
  const now = new Date('2025-03-01T00:00:00Z');

  const started = performance.now();
  let operations = 0;
  let problems = 0;
  for (let i = 0; i < people.length; i++) {
    const person = people[i];
    const state = syntheticState(i, person);
    const fingerprint = rules.fingerprint(person);
    const lifecycle = classify({
      person,
      previous: state.previous,
      hasResources: state.links.length > 0,
      now,
      fingerprint,
    });
    const decision = rules.decide(person, lifecycle);
    const plan = planPerson({
      person,
      decision,
      numbers: state.numbers,
      links: state.links,
      profiles,
      writeBack,
    });
    operations += plan.operations.length;
    problems += plan.problems.length;
  }
  const seconds = (performance.now() - started) / 1000;
  if (operations === 0 || problems > PEOPLE / 10) {
    throw new Error(`benchmark input is wrong: ${operations} operations, ${problems} problems`);
  }
  return {
    peoplePerSecond: Math.round(PEOPLE / seconds),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

function syntheticConfig(): Pick<CallsignConfig, 'rules' | 'profiles' | 'pools' | 'sources'> {
  const rules: RuleConfig[] = [];
  for (let i = 0; i < 19; i++) {
    const site = SITES[i % SITES.length];
    const dept = DEPARTMENTS[i % DEPARTMENTS.length];
    rules.push({
      name: `rule-${i}`,
      profile: 'sip-user',
      when: `person.site == "${site}" && person.department == "${dept}" && person.level > ${i % 4}`,
      numbers: { extension: '{{person.site}}-ext', did: '{{person.site}}-did' },
    });
  }
  rules.push({
    name: 'everyone',
    when: 'person.workerType in ["employee", "intern"]',
    profile: 'sip-user',
    numbers: { extension: '{{person.site}}-ext', did: '{{person.site}}-did' },
  });

  const pools: PoolConfig[] = SITES.flatMap((site, i) => [
    {
      name: `${site}-ext`,
      kind: 'extension' as const,
      range: { start: `${i + 1}0000`, end: `${i + 1}9999` },
      exclude: [],
      quarantineDays: 30,
    },
    {
      name: `${site}-did`,
      kind: 'did' as const,
      range: { start: `+1212${i}000000`, end: `+1212${i}999999` },
      exclude: [],
      quarantineDays: 30,
    },
  ]);
  const profiles: Record<string, ProfileConfig> = {
    'sip-user': {
      name: 'sip-user',
      resources: [
        {
          target: 'pbx',
          type: 'sip-subscriber',
          key: '{{numbers.extension}}',
          dependsOn: [],
          secret: true,
          attributes: {
            displayName: { value: '{{person.displayName}}', mode: 'enforce' as const },
            email: { value: '{{person.mail | lower}}', mode: 'create' as const },
          },
        },
        {
          target: 'pbx',
          type: 'sip-alias',
          key: '{{numbers.did}}',
          dependsOn: ['sip-subscriber'],
          secret: false,
          attributes: { username: { value: '{{numbers.extension}}', mode: 'enforce' as const } },
        },
      ],
    },
  };
  const sources = [
    {
      name: 'dir',
      type: 'ldap' as const,
      url: 'ldap://127.0.0.1',
      bindDn: 'cn=x',
      password: 'env:X',
      baseDn: 'dc=x',
      filter: '(objectClass=*)',
      pageSize: 500,
      idAttribute: 'entryUUID',
      attributes: {},
      writeBack: { telephoneNumber: 'did' as const },
      timeoutMs: 1000,
      delta: 'none' as const,
      fullEverySeconds: 3600,
    },
  ];
  return { rules, pools, profiles, sources };
}

function syntheticPerson(i: number): Person {
  return {
    id: `p${i}`,
    status: i % 50 === 0 ? 'disabled' : 'active',
    excluded: false,
    pinned: i % 997 === 0,
    sourceLinks: [{ source: 'dir', externalId: `uuid-${i}` }],
    attributes: {
      employeeId: `E${i}`,
      displayName: `Person ${i}`,
      mail: `Person.${i}@Example.com`,
      site: SITES[i % SITES.length],
      department: DEPARTMENTS[(i >> 3) % DEPARTMENTS.length],
      level: i % 5,
      workerType: i % 7 === 0 ? 'intern' : 'employee',
    },
  };
}

/**
 * Stored state by person: a fifth are new, the rest provisioned, of whom some have a changed
 * display name (an update) and some moved site (a new line, an old one removed and released).
 */
function syntheticState(
  i: number,
  person: Person,
): { previous?: Person; links: Link[]; numbers: HeldNumber[] } {
  const site = person.attributes.site as string;
  const s = SITES.indexOf(site);
  const ext: HeldNumber = {
    pool: `${site}-ext`,
    kind: 'extension',
    value: `${s + 1}${String(i % 10000).padStart(4, '0')}`,
  };
  const did: HeldNumber = {
    pool: `${site}-did`,
    kind: 'did',
    value: `+1212${s}${String(i % 1_000_000).padStart(6, '0')}`,
  };
  if (i % 5 === 0) return { links: [], numbers: [ext, did] };

  const moved = i % 11 === 0;
  const oldExt = moved ? { ...ext, value: `${ext.value.slice(0, -1)}9` } : ext;
  const displayName = i % 3 === 0 ? 'Old Name' : String(person.attributes.displayName);
  const links: Link[] = [
    {
      personId: person.id,
      target: 'pbx',
      type: 'sip-subscriber',
      key: oldExt.value,
      externalId: `s${i}`,
      attributes: { displayName, email: `person.${i}@example.com` },
    },
    {
      personId: person.id,
      target: 'pbx',
      type: 'sip-alias',
      key: did.value,
      externalId: `a${i}`,
      attributes: { username: oldExt.value },
    },
    {
      personId: person.id,
      target: 'dir',
      type: 'writeback',
      key: `uuid-${i}`,
      externalId: `uuid-${i}`,
      attributes: { telephoneNumber: did.value },
    },
  ];
  const previous = { ...person, status: 'active' as const };
  return { previous, links, numbers: moved ? [ext, did, oldExt] : [ext, did] };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchPlanning();
  console.log(JSON.stringify({ bench: 'planning', people: PEOPLE, ...result }));
}
