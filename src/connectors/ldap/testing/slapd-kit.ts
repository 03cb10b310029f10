/**
 * Shared setup for the LDAP tests that run against a real slapd: the skip reason when slapd is
 * missing (a failure instead under CI), a source config pointed at the lab, and an admin client.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';

import { Client } from 'ldapts';

import type { LdapSourceConfig } from '../../../core/config-types.ts';
import type { Snapshot } from '../../../core/model.ts';
import { findSlapd, startSlapd, type LabPerson, type SlapdLab } from '../../../lab/slapd.ts';
import { LdapSource } from '../ldap-source.ts';

/**
 * The `skip` option for a describe that needs slapd. Call it once at the top of a test file:
 * under CI a missing slapd registers a failing test rather than skipping quietly.
 */
export function slapdSkip(): string | false {
  const installed = findSlapd() !== undefined;
  if (!installed && process.env.CI === 'true') {
    it('needs slapd in CI', () => assert.fail('CI=true but slapd/slapadd were not found'));
  }
  return installed ? false : 'slapd is not installed (apt-get install slapd ldap-utils)';
}

/** A source config reading the lab's people as the service account; overrides win. */
export function labSourceConfig(
  lab: SlapdLab,
  overrides: Partial<LdapSourceConfig> = {},
): LdapSourceConfig {
  return {
    name: 'corp',
    type: 'ldap',
    url: lab.url,
    bindDn: lab.serviceDn,
    password: 'env:CORP_LDAP_PASSWORD',
    baseDn: lab.peopleDn,
    filter: '(objectClass=inetOrgPerson)',
    pageSize: 50,
    idAttribute: 'entryUUID',
    attributes: { username: 'uid' },
    writeBack: {},
    timeoutMs: 3000,
    delta: 'content-sync',
    fullEverySeconds: 3600,
    ...overrides,
  };
}

/** A client bound as the lab's directory manager, for the changes a test makes. */
export async function labAdmin(lab: SlapdLab): Promise<Client> {
  const admin = new Client({ url: lab.url });
  await admin.bind(lab.adminDn, lab.adminPassword);
  return admin;
}

/**
 * Starts a slapd of its own with these people and reads it through the source, stopping the
 * server once the given page has arrived: what a read cut short by a lost server returns.
 */
export async function readWhileStopping(
  people: LabPerson[],
  config: (lab: SlapdLab) => LdapSourceConfig,
  atPage = 2,
): Promise<Snapshot> {
  const lab = await startSlapd({ people });
  try {
    const source = new LdapSource(config(lab), {
      password: lab.servicePassword,
      onPage: async (page) => {
        if (page.number === atPage) await lab.stop();
      },
    });
    return await source.readAll();
  } finally {
    await lab.stop();
  }
}
