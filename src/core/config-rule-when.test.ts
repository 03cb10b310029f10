/**
 * A rule condition must end in true or false. Person attributes type-check as `dyn`, so a bare
 * `person.site` used to load and then fail per person; it is refused at load with a hint, and a
 * condition that still gives a non-boolean at run time names the rule and its field.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { exampleConfig, parseConfig } from './config.ts';
import { compileRules } from './rules.ts';
import { refusal } from './testing/config-text.ts';

const RULE = 'person.site == "New York" && person.workerType != "contractor"';

function withWhen(when: string): string {
  assert.ok(exampleConfig().includes(RULE));
  return exampleConfig().replace(RULE, `'${when.replaceAll("'", "''")}'`);
}

test('a bare attribute as the condition is refused with line, field and a hint', () => {
  const text = withWhen('person.site');
  const line = text.split('\n').findIndex((l) => l.includes("when: 'person.site'")) + 1;
  const msg = refusal(text, '/srv/callsign.yaml').message;
  assert.match(
    msg,
    new RegExp(`/srv/callsign\\.yaml:${line}: rules\\[0\\]\\.when: person\\.site gives a value`),
  );
  assert.match(msg, /person\.site == "nyc"/);
  assert.match(msg, /has\(person\.site\)/);
});

test('non-boolean operands of && || ! and ternary branches are refused too', () => {
  for (const when of [
    'person.site == "New York" && person.department',
    '!person.site',
    'person.workerType == "employee" ? person.site : false',
    'person["site"]',
  ]) {
    assert.match(refusal(withWhen(when)).message, /rules\[0\]\.when: .* gives a value/, when);
  }
});

test('comparisons, has(), boolean methods and boolean attributes load', () => {
  for (const when of [
    'has(person.site) && person.site.startsWith("New")',
    'person.department in ["Sales"] || person.mail.endsWith("@acme.example")',
    'person.workerType == "employee" ? true : person.site.matches("^N")',
    'true',
  ]) {
    assert.doesNotThrow(() => parseConfig(withWhen(when), 'c.yaml'), when);
  }
});

test('a non-boolean result at run time names the rule and rules[N].when', () => {
  const config = parseConfig(exampleConfig(), 'c.yaml');
  const rules = compileRules({
    ...config,
    rules: [{ ...config.rules[0]!, when: 'person.workerType == "x" || person.site' }],
  });
  const decision = rules.decide({
    id: 'p1',
    attributes: { site: 'nyc', workerType: 'employee' },
    status: 'active',
    sourceLinks: [],
    excluded: false,
    pinned: false,
  });
  assert.equal(decision.problems[0]?.field, 'rules[0].when');
  assert.match(decision.problems[0]?.message ?? '', /rules\[0\]\.when/);
});
