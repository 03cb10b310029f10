/**
 * Renders a notification template with the safe template language of src/core/template.ts:
 * `{{root.name | filter}}` lookups of own properties and a fixed set of pure filters, so an
 * administrator's template can read values but never run code or reach a prototype. Only the
 * values a template reads are kept in the outbox (`pickVars`), and a template whose variable
 * has no value does not render: the message fails with the variable named. Numbers are the
 * exception: one the person does not hold renders empty (or as its `| default:"..."`).
 */
import type { NotifyTemplateConfig } from '../core/config-notify.ts';
import { compileNotifyTemplate } from '../core/config-notify.ts';
import { CallsignError, ErrorCode } from '../core/errors.ts';
import type { NumberKind } from '../core/model.ts';
import type { TemplateVars } from '../core/template.ts';
import type { MessageVars } from './outbox.ts';

/** A rendered message: one-line subject, plain-text body. */
export interface RenderedMessage {
  subject: string;
  text: string;
}

/** Renders both parts; throws CallsignError(validation) naming the variable without a value. */
export function renderMessage(
  name: string,
  template: NotifyTemplateConfig,
  vars: MessageVars,
): RenderedMessage {
  const compiled = compileNotifyTemplate(template);
  const tv = templateVars(vars);
  const subject = compiled.subject.render(tv);
  const text = compiled.text.render(tv);
  if (subject === undefined || text === undefined) {
    const variable = compiled.subject.missing(tv) ?? compiled.text.missing(tv) ?? '?';
    throw new CallsignError(
      ErrorCode.MissingReference,
      `Template '${name}': no value for ${variable}`,
      { details: { template: name, variable } },
    );
  }
  // A header line must stay one line whatever a person's attributes hold.
  return { subject: subject.replace(/[\r\n]+/g, ' '), text };
}

/** The values of `vars` the template reads, and nothing else. */
export function pickVars(template: NotifyTemplateConfig, vars: MessageVars): MessageVars {
  const compiled = compileNotifyTemplate(template);
  const out: MessageVars = {};
  for (const ref of [...compiled.subject.refs, ...compiled.text.refs]) {
    const root = Object.hasOwn(vars, ref.root) ? vars[ref.root] : undefined;
    if (root === undefined || !Object.hasOwn(root, ref.name)) continue;
    (out[ref.root] ??= {})[ref.name] = root[ref.name];
  }
  return out;
}

/** Whether the template reads `root.name` (a credentials template must read `secret.value`). */
export function reads(template: NotifyTemplateConfig, root: string, name: string): boolean {
  const compiled = compileNotifyTemplate(template);
  return [...compiled.subject.refs, ...compiled.text.refs].some(
    (r) => r.root === root && r.name === name,
  );
}

/**
 * A person may lack a number kind the template reads (only an extension, no DID): the mail
 * still goes, with that value empty or the template's `| default:"..."`. Load refuses a kind
 * that no rule gives at all.
 */
const BLANK_ROOTS: ReadonlySet<string> = new Set(['numbers']);

function templateVars(vars: MessageVars): TemplateVars {
  const roots = textOnly(vars);
  const { person, numbers, ...extra } = roots;
  return {
    person: person ?? {},
    numbers: (numbers ?? {}) as Partial<Record<NumberKind, string>>,
    extra,
    blankRoots: BLANK_ROOTS,
  };
}

/**
 * Copies the values into prototype-less objects keeping text only: values come back from the
 * outbox's JSON, where a key `__proto__` is an own property, and a template reads text.
 */
function textOnly(vars: MessageVars): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = Object.create(null);
  for (const [root, values] of Object.entries(vars)) {
    if (values === null || typeof values !== 'object') continue;
    const clean: Record<string, string> = Object.create(null);
    for (const [name, value] of Object.entries(values)) {
      if (typeof value === 'string') clean[name] = value;
    }
    out[root] = clean;
  }
  return out;
}
