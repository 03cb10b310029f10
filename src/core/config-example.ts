/**
 * The commented example configuration `callsign init` writes. It must pass `parseConfig` as is
 * (a test holds that), so a new installation starts from a file that loads.
 */

/** A complete, commented `callsign.yaml` for one OpenLDAP directory and one Kamailio. */
export function exampleConfig(): string {
  return EXAMPLE;
}

const EXAMPLE = `# Callsign configuration. Paths are relative to this file.
# Secrets are never written here: give env:NAME (an environment variable) or
# file:PATH (a file readable only by Callsign).

# Where Callsign keeps people, links, numbers and its journal: sqlite:PATH or postgres://…
store: sqlite:./callsign.db
# 32 random bytes (base64 or hex) that encrypt stored SIP passwords.
secretKey: file:./.callsign/secret.key

# Attributes that tie records of several sources to one person, tried in this order.
# Never use display names: two people can share one.
correlation: [employeeId, mail]

sources:
  - name: corp-ldap
    type: ldap
    url: ldap://127.0.0.1:389
    bindDn: cn=callsign,ou=services,dc=example,dc=com
    password: env:CALLSIGN_LDAP_PASSWORD
    baseDn: ou=people,dc=example,dc=com
    filter: (objectClass=inetOrgPerson)
    pageSize: 500
    # entryUUID is OpenLDAP's stable id: it survives renames and moves, unlike the DN.
    idAttribute: entryUUID
    # Callsign name: LDAP attribute. Rules and templates see these as person.<name>.
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
    # OpenLDAP's ppolicy overlay marks an account that an administrator locked for good with
    # pwdAccountLockedTime 000001010000Z (slapo-ppolicy(5)). A lock after failed passwords
    # carries a real time stamp instead and is not a leaver, so only that value counts.
    # Without the ppolicy overlay, mark leavers another way, for example
    # { attribute: employeeType, values: [disabled] }.
    disabled:
      attribute: pwdAccountLockedTime
      values: ['000001010000Z']
    # LDAP attribute to write the assigned number to (did or extension).
    writeBack:
      telephoneNumber: did

targets:
  - name: pbx
    type: kamailio
    # The SQLite database Kamailio's db_sqlite module reads (subscriber and dbaliases tables).
    database: ./kamailio/kamailio.sqlite
    domain: sip.example.com
    # JSON-RPC, used to drop live registrations of people who leave.
    rpcUrl: http://127.0.0.1:5060/RPC
    concurrency: 4

# Number pools by name. Extensions are digits; DIDs are E.164 (checked in the pool's region).
# A released number rests in quarantine before anyone else gets it.
pools:
  nyc-ext:
    kind: extension
    site: New York
    range: { start: '2000', end: '2999' }
    exclude: ['2000']
    quarantineDays: 30
  nyc-did:
    kind: did
    site: New York
    region: US
    range: { start: '+12125550100', end: '+12125550199' }
    quarantineDays: 90
  sfo-ext:
    kind: extension
    site: San Francisco
    range: { start: '3000', end: '3999' }
    exclude: ['3000']
  sfo-did:
    kind: did
    site: San Francisco
    region: US
    range: { start: '+14155550100', end: '+14155550199' }
    quarantineDays: 90

# What a person gets. Templates: {{person.<attribute>}}, {{numbers.extension}},
# {{numbers.did}}, with filters upper, lower, digits, last:N and default:"x".
# An attribute written as a plain string is enforced (put back when changed on the target);
# { value: …, mode: create } is set once at creation and then left to the administrators.
profiles:
  sip-user:
    resources:
      - target: pbx
        type: sip-subscriber
        key: '{{numbers.extension}}'
        # The SIP password is generated, stored encrypted and shown once.
        secret: true
        attributes:
          displayName: '{{person.displayName}}'
          email: { value: '{{person.mail | lower | default:""}}', mode: create }
      - target: pbx
        type: sip-alias
        key: '{{numbers.did}}'
        dependsOn: [sip-subscriber]
        attributes:
          username: '{{numbers.extension}}'

# Rules are tried in order; the first whose CEL expression is true decides.
# A person matching no rule loses what rules gave them.
rules:
  - name: new-york-staff
    when: person.site == "New York" && person.workerType != "contractor"
    profile: sip-user
    numbers: { extension: nyc-ext, did: nyc-did }
  - name: san-francisco-staff
    when: person.site == "San Francisco" && person.workerType != "contractor"
    profile: sip-user
    numbers: { extension: sfo-ext, did: sfo-did }

# Brake: a run that would de-provision more than this share or count of people waits for
# approval (a source that suddenly returns half its people is more often broken than right).
safety:
  maxDeprovisionShare: 0.1
  maxDeprovisionCount: 25

engine:
  pollIntervalSeconds: 30
  leaseSeconds: 60
  maxAttempts: 6
  backoffBaseMs: 500
  backoffMaxMs: 60000
`;
