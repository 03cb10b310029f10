/**
 * The configuration of the Cisco end-to-end lab, as an administrator would write it: an HR drop
 * folder, the four Cisco targets, an extension pool per site, and three profiles.
 *
 * - knowledge worker: a line (the number in Internal_PT), the end user pointing at it, a Jabber
 *   softphone (CSF) in the site's device pool, a voicemail box with a generated 6-digit PIN;
 * - UCCX agent: the same, the user's IPCC extension on the line, and the UCCX resource's team
 *   (by site), resource group and skills once UCCX has synced the user;
 * - UCCE agent: the knowledge worker plus the UCCE person and agent, its skill groups and its
 *   agent team (by site).
 *
 * - direct-line worker (role `direct`, New York): the knowledge worker with a DID whose
 *   extension the pool mapping derives (`extensionFrom`); a leaver's DID rings their manager
 *   (the HR `Manager` column, an e-mail) for 14 days, or the announcement (see
 *   test/cisco-e2e-forward.test.ts).
 *
 * Ranks follow dependsOn: line, then user, then phone and agents; a leaver's deletes run the
 * other way (phone and agents, user, line), and the number is released last.
 */
export function ciscoConfig(o: {
  /** `sqlite:PATH` or `postgres://…`. */
  store: string;
  urls: { cucm: string; cuc: string; uccx: string; ucce: string };
  username: string;
  passwordEnv: string;
}): string {
  const auth = `username: ${o.username}, password: env:${o.passwordEnv}, concurrency: 2`;
  return `
store: '${o.store}'
secretKey: file:./secret.key
correlation: [mail]
sources:
  - name: hr
    type: hr-file
    path: ./drop
    columns:
      workerId: Worker ID
      userid: User
      mail: Email
      givenName: First
      sn: Last
      displayName: Name
      site: Site
      role: Role
      manager: Manager
    keys: { personKey: Email }
    status: { column: Status, active: [Active], leave: [Leave], terminated: [Terminated] }
targets:
  - { name: cucm, type: cucm, url: '${o.urls.cucm}', version: '14.0', forwardCallingSearchSpace: Forward_CSS, ${auth} }
  - { name: cuc, type: cuc, url: '${o.urls.cuc}', ${auth} }
  - { name: uccx, type: uccx, url: '${o.urls.uccx}', ${auth} }
  - { name: ucce, type: ucce, url: '${o.urls.ucce}', ${auth} }
pools:
  nyc-ext: { kind: extension, site: nyc, range: { start: '2000', end: '2099' }, quarantineDays: 30 }
  sfo-ext: { kind: extension, site: sfo, range: { start: '3000', end: '3099' }, quarantineDays: 30 }
  nyc-did:
    kind: did
    site: nyc
    region: US
    range: { start: '+12125552100', end: '+12125552199' }
    quarantineDays: 30
    leaverForward: { days: 14, to: manager, announcement: '+12125550199' }
  nyc-did-ext: { kind: extension, site: nyc, range: { start: '2100', end: '2199' }, quarantineDays: 30, extensionFrom: { didPool: nyc-did, lastDigits: 4 } }
profiles:
  knowledge-worker:
    resources:
${KNOWLEDGE_WORKER}
  uccx-agent:
    resources:
${KNOWLEDGE_WORKER.replace(USER_EXTENSIONS, `${USER_EXTENSIONS}\n${IPCC_EXTENSION}`)}
      - target: uccx
        type: uccx-agent
        key: '{{person.userid}}'
        dependsOn: [cucm-user]
        attributes:
          team: 'Team_{{person.site | upper}}'
          resourceGroup: RG_Agents
          skills: 'Sales:7,Support:4'
  ucce-agent:
    resources:
${KNOWLEDGE_WORKER}
      - target: ucce
        type: ucce-agent
        key: '{{person.userid}}'
        secret: true
        dependsOn: [cucm-user]
        attributes:
          firstName: '{{person.givenName}}'
          lastName: '{{person.sn}}'
          skillGroups: SG_Sales,SG_Support
          agentTeam: 'AT_{{person.site | upper}}'
rules:
  - { name: knowledge, when: 'person.role == "knowledge"', profile: knowledge-worker, numbers: { extension: '{{person.site}}-ext' } }
  - { name: uccx, when: 'person.role == "uccx"', profile: uccx-agent, numbers: { extension: '{{person.site}}-ext' } }
  - { name: ucce, when: 'person.role == "ucce"', profile: ucce-agent, numbers: { extension: '{{person.site}}-ext' } }
  - { name: direct, when: 'person.role == "direct"', profile: knowledge-worker, numbers: { did: nyc-did, extension: nyc-did-ext } }
safety: { maxDeprovisionShare: 1, maxDeprovisionCount: 10 }
engine: { pollIntervalSeconds: 1, leaseSeconds: 30, maxAttempts: 12, backoffBaseMs: 100, backoffMaxMs: 400 }
`;
}

const USER_EXTENSIONS = `          primaryExtension: '{{numbers.extension}}@Internal_PT'`;
const IPCC_EXTENSION = `          ipccExtension: '{{numbers.extension}}@Internal_PT'`;

const KNOWLEDGE_WORKER = `      - target: cucm
        type: cucm-line
        key: '{{numbers.extension}}@Internal_PT'
        attributes:
          description: '{{person.displayName}}'
          alertingName: '{{person.displayName}}'
      - target: cucm
        type: cucm-user
        key: '{{person.userid}}'
        dependsOn: [cucm-line]
        attributes:
          firstName: '{{person.givenName}}'
          lastName: '{{person.sn}}'
          mailid: '{{person.mail}}'
          telephoneNumber: '{{numbers.extension}}'
${USER_EXTENSIONS}
      - target: cucm
        type: cucm-phone
        key: 'CSF{{person.userid | upper}}'
        dependsOn: [cucm-user, cucm-line]
        attributes:
          product: Cisco Unified Client Services Framework
          description: 'Jabber {{person.displayName}}'
          devicePoolName: 'DP_{{person.site | upper}}'
          callingSearchSpaceName: Internal_CSS
          ownerUserName: '{{person.userid}}'
          line1: '{{numbers.extension}}@Internal_PT'
      - target: cuc
        type: cuc-mailbox
        key: '{{person.userid}}'
        secret: { pin: 6 }
        attributes:
          firstName: '{{person.givenName}}'
          lastName: '{{person.sn}}'
          displayName: '{{person.displayName}}'
          dtmfAccessId: '{{numbers.extension}}'
          emailAddress: '{{person.mail}}'`;
