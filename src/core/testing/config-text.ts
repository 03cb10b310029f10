/**
 * What the config and engine tests share: a small valid config that gives each person the rule
 * picks one SIP subscriber on a null `pbx` target, and the refusal parseConfig answers a text
 * with, so each test states only what it checks.
 */
import assert from 'node:assert/strict';

import { parseConfig } from '../config.ts';
import { CallsignError } from '../errors.ts';

export interface PhoneConfigOptions {
  /** YAML list items under `sources:`, indented by two spaces. */
  sources: string;
  /** The one rule's condition. */
  when: string;
  /** The subscriber's attributes, a YAML flow map such as `{ displayName: '…' }`. */
  attributes?: string;
  /** Lifts the share brake and holds runs that de-provision more than this many people. */
  maxDeprovisionCount?: number;
  quarantineDays?: number;
  /** The pool `ext` runs from 4000 to this extension; 4099 unless given. */
  lastExtension?: string;
  /** More top-level YAML (webhooks, engine settings), appended as it is. */
  more?: string;
}

/**
 * The config text. The sources start on line 6, so a test may assert the line numbers of
 * faults in them.
 */
export function phoneConfig(options: PhoneConfigOptions): string {
  const safety =
    options.maxDeprovisionCount === undefined
      ? ''
      : `safety: { maxDeprovisionShare: 1, maxDeprovisionCount: ${options.maxDeprovisionCount} }\n`;
  const quarantine =
    options.quarantineDays === undefined ? '' : `, quarantineDays: ${options.quarantineDays}`;
  const range = `{ start: '4000', end: '${options.lastExtension ?? '4099'}' }`;
  const attributes =
    options.attributes === undefined ? '' : `        attributes: ${options.attributes}\n`;
  return `
store: sqlite:./callsign.db
secretKey: file:./secret.key
correlation: [mail]
sources:
${options.sources}
targets:
  - { name: pbx, type: "null" }
${safety}pools:
  ext: { kind: extension, range: ${range}${quarantine} }
profiles:
  phone:
    resources:
      - target: pbx
        type: sip-subscriber
        key: '{{numbers.extension}}'
${attributes}rules:
  - name: staff
    when: ${options.when}
    profile: phone
    numbers: { extension: ext }
${options.more ?? ''}`;
}

/** The message parseConfig refuses `text` with, or '' when it takes it. */
export function refusalMessage(text: string, file = '/srv/callsign.yaml'): string {
  try {
    parseConfig(text, file);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  return '';
}

/** The CallsignError parseConfig refuses `text` with; the test fails when it takes the text. */
export function refusal(text: string, file = 'c.yaml'): CallsignError {
  let refused: unknown;
  try {
    parseConfig(text, file);
  } catch (err) {
    refused = err;
  }
  if (refused === undefined) assert.fail('expected refusal');
  assert.ok(refused instanceof CallsignError);
  return refused;
}
