/**
 * A configuration for the lab servers (slapd and Kamailio started by src/lab): used by the demo,
 * the end-to-end tests and the benchmark, so all three run the same shape as a real install.
 */
export interface LabConfigOptions {
  /** `sqlite:PATH` or `postgres://…`. */
  store: string;
  ldap: { url: string; serviceDn: string; peopleDn: string };
  /** Name of the environment variable holding the service account's password. */
  passwordEnv: string;
  /** Kamailio database and RPC; or `null` for a do-nothing target named `pbx`. */
  kamailio: { dbPath: string; domain: string; rpcUrl: string } | null;
  safety?: { maxDeprovisionShare: number; maxDeprovisionCount: number };
  pollIntervalSeconds?: number;
  maxAttempts?: number;
  leaseSeconds?: number;
}

export function labConfig(o: LabConfigOptions): string {
  const safety = o.safety ?? { maxDeprovisionShare: 0.5, maxDeprovisionCount: 25 };
  const target = o.kamailio
    ? `  - name: pbx
    type: kamailio
    database: ${o.kamailio.dbPath}
    domain: ${o.kamailio.domain}
    rpcUrl: ${o.kamailio.rpcUrl}
    concurrency: 4`
    : `  - name: pbx
    type: 'null'
    concurrency: 8`;
  return `# Written by Callsign's lab for its own test servers on loopback.
store: ${o.store}
secretKey: file:./secret.key
correlation: [employeeId, mail]

sources:
  - name: lab-ldap
    type: ldap
    url: ${o.ldap.url}
    bindDn: ${o.ldap.serviceDn}
    password: env:${o.passwordEnv}
    baseDn: ${o.ldap.peopleDn}
    filter: (objectClass=inetOrgPerson)
    pageSize: 200
    idAttribute: entryUUID
    attributes:
      employeeId: employeeNumber
      givenName: givenName
      sn: sn
      displayName: cn
      mail: mail
      department: departmentNumber
      site: l
      title: title
      workerType: employeeType
    disabled: { userAccountControl: true }
    # Tests expect a person gone from the directory to leave in the same run.
    missingGraceSeconds: 0
    writeBack:
      telephoneNumber: did

targets:
${target}

pools:
  nyc-ext:
    kind: extension
    site: nyc
    range: { start: '2000', end: '2999' }
    quarantineDays: 30
  nyc-did:
    kind: did
    site: nyc
    region: US
    range: { start: '+12125552000', end: '+12125552999' }
    quarantineDays: 90
  sfo-ext:
    kind: extension
    site: sfo
    range: { start: '3000', end: '3999' }
    quarantineDays: 30
  sfo-did:
    kind: did
    site: sfo
    region: US
    range: { start: '+14155553000', end: '+14155553999' }
    quarantineDays: 90
  lon-ext:
    kind: extension
    site: lon
    range: { start: '4000', end: '4999' }
    quarantineDays: 30
  lon-did:
    kind: did
    site: lon
    region: GB
    range: { start: '+442079460000', end: '+442079460999' }
    quarantineDays: 90

profiles:
  sip-user:
    resources:
      - target: pbx
        type: sip-subscriber
        key: '{{numbers.extension}}'
        secret: true
        attributes:
          username: '{{numbers.extension}}'
          displayName: '{{person.displayName}}'
      - target: pbx
        type: sip-alias
        key: '{{numbers.did}}'
        dependsOn: [sip-subscriber]
        attributes:
          username: '{{numbers.extension}}'

rules:
  # Each site has its own pools: the pool names are templated from the person's site.
  - name: staff
    when: person.workerType == "employee" && person.site in ["nyc", "sfo", "lon"]
    profile: sip-user
    numbers: { extension: '{{person.site}}-ext', did: '{{person.site}}-did' }

safety:
  maxDeprovisionShare: ${safety.maxDeprovisionShare}
  maxDeprovisionCount: ${safety.maxDeprovisionCount}

engine:
  pollIntervalSeconds: ${o.pollIntervalSeconds ?? 30}
  leaseSeconds: ${o.leaseSeconds ?? 30}
  maxAttempts: ${o.maxAttempts ?? 4}
  backoffBaseMs: 200
  backoffMaxMs: 2000
`;
}
