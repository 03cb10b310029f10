/**
 * AXL envelopes in and out. Requests are built by fast-xml-parser's builder, which escapes every
 * text and attribute value, so a name such as `R&D <Lab>` can never change the document's shape.
 * Children of an AXL operation are unqualified; only the operation carries the `ns` prefix.
 */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';

/** A request or response body: element name to text, nested element, or repeated elements. */
export type AxlNode = { [name: string]: AxlValue };
export type AxlValue = string | AxlNode | AxlValue[] | undefined;

/** AXL schema namespace of a version, e.g. `http://www.cisco.com/AXL/API/14.0`. */
export function axlNamespace(version: string): string {
  return `http://www.cisco.com/AXL/API/${version}`;
}

/** The SOAPAction header value, quotes included, as Unified CM expects it. */
export function soapAction(version: string, operation: string): string {
  return `"CUCM:DB ver=${version} ${operation}"`;
}

/** The full SOAP 1.1 envelope for one AXL operation. */
export function buildEnvelope(version: string, operation: string, body: AxlNode): string {
  const doc = {
    'soapenv:Envelope': {
      '@_xmlns:soapenv': SOAP_ENV,
      '@_xmlns:ns': axlNamespace(version),
      'soapenv:Header': '',
      'soapenv:Body': { [`ns:${operation}`]: withoutUndefined(body) },
    },
  };
  return `<?xml version="1.0" encoding="UTF-8"?>${builder.build(doc)}`;
}

/**
 * The operation element alone, `<ns:addLine xmlns:ns="…/14.0">…</ns:addLine>`, as the AXL
 * schema declares it: what a customer's own AXL XSD validates.
 */
export function buildOperation(version: string, operation: string, body: AxlNode): string {
  const doc = {
    [`ns:${operation}`]: { '@_xmlns:ns': axlNamespace(version), ...withoutUndefined(body) },
  };
  return `<?xml version="1.0" encoding="UTF-8"?>${builder.build(doc)}`;
}

/** What a response document holds: the operation's answer or a SOAP fault. */
export type ParsedResponse =
  | { kind: 'answer'; operation: string; body: AxlNode }
  | { kind: 'fault'; faultString: string; axlCode?: number; axlMessage?: string }
  | { kind: 'not-xml'; reason: string };

/** Parses a response body; never throws. */
export function parseResponse(text: string): ParsedResponse {
  const valid = XMLValidator.validate(text);
  if (valid !== true) return { kind: 'not-xml', reason: valid.err.msg };

  const doc = parser.parse(text) as AxlNode;
  const envelope = child(doc, 'Envelope');
  const body = child(envelope, 'Body');
  if (body === undefined) return { kind: 'not-xml', reason: 'no SOAP Envelope/Body' };

  const fault = child(body, 'Fault');
  if (fault !== undefined) {
    const error = child(child(fault, 'detail'), 'axlError');
    const code = textOf(error?.axlcode);
    const out: ParsedResponse = { kind: 'fault', faultString: textOf(fault.faultstring) ?? '' };
    if (code !== undefined && /^-?\d+$/.test(code.trim())) out.axlCode = Number(code.trim());
    const message = textOf(error?.axlmessage);
    if (message !== undefined) out.axlMessage = message;
    return out;
  }

  const name = Object.keys(body).find((k) => !k.startsWith('@_'));
  const answer = name === undefined ? undefined : body[name];
  if (name === undefined || !name.endsWith('Response')) {
    return { kind: 'not-xml', reason: 'SOAP Body holds no AXL response' };
  }
  const node = typeof answer === 'object' && !Array.isArray(answer) ? answer : {};
  return { kind: 'answer', operation: name.slice(0, -'Response'.length), body: node };
}

/** The element's text, whether it came as a string or as `{ '#text', '@_uuid' }`. */
export function textOf(value: AxlValue): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return textOf(value[0]);
  const inner = value['#text'];
  return typeof inner === 'string' ? inner : '';
}

/** A nested element, or undefined when absent or only text. */
export function child(node: AxlValue, name: string): AxlNode | undefined {
  if (node === undefined || typeof node === 'string' || Array.isArray(node)) return undefined;
  const value = node[name];
  if (value === undefined || typeof value === 'string') return undefined;
  return Array.isArray(value) ? child({ [name]: value[0] }, name) : value;
}

/** Repeated elements as a list: one element parses as an object, several as an array. */
export function list(node: AxlValue, name: string): AxlNode[] {
  if (node === undefined || typeof node === 'string' || Array.isArray(node)) return [];
  const value = node[name];
  const items = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return items.map((v) => (typeof v === 'object' && !Array.isArray(v) ? v : { '#text': v }));
}

/** The `uuid` attribute of an element (`{UPPER-CASE}` in AXL). */
export function uuidOf(node: AxlNode | undefined): string | undefined {
  const value = node?.['@_uuid'];
  return typeof value === 'string' ? value : undefined;
}

const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: true,
});

// Entities stay off beyond the XML five: a response declaring its own cannot expand.
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
});

function withoutUndefined(node: AxlNode): AxlNode {
  const out: AxlNode = {};
  for (const [key, value] of Object.entries(node)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) out[key] = value.map((v) => clean(v));
    else out[key] = clean(value);
  }
  return out;
}

function clean(value: AxlValue): AxlValue {
  if (value === undefined || typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(clean);
  return withoutUndefined(value);
}
