/**
 * The configuration of the notification tests: the lab configuration with a `manager`
 * attribute and a `notifications:` section pointing at a test SMTP server.
 */
import { labConfig } from '../lab/lab-config.ts';

/** The lab configuration with a manager attribute and a notifications section. */
export function notifyConfig(port: number, caFile: string, templates = TEMPLATES): string {
  const base = labConfig({
    store: 'sqlite:./callsign.db',
    ldap: { url: 'ldap://127.0.0.1:1', serviceDn: 'cn=svc', peopleDn: 'ou=people' },
    passwordEnv: 'CALLSIGN_TEST_UNUSED',
    kamailio: null,
  }).replace('workerType: employeeType', 'workerType: employeeType\n      manager: manager');
  return `${base}
notifications:
  smtp:
    host: 127.0.0.1
    port: ${port}
    starttls: true
    user: callsign
    password: env:CALLSIGN_TEST_SMTP_PW
    from: 'Callsign <callsign@example.com>'
    tlsCa: ${caFile}
    timeoutMs: 5000
  team: telecom@example.com
  templates:
${templates}
  rules:
    - { on: credentials, to: [person], template: creds }
    - { on: provisioned, to: [person, manager, team, phones-list@example.com],
        template: welcome }
    - { on: failed, to: [team], template: failure }
`;
}

const TEMPLATES = `    welcome:
      subject: 'Your phone, {{person.displayName}}'
      text: 'Extension {{numbers.extension}}, number {{numbers.did}}.'
    creds:
      subject: 'Your SIP password'
      text: 'User {{numbers.extension}}: {{secret.value}}'
    failure:
      subject: 'Failed: {{operation.key}}'
      text: '{{error.message}}'`;
