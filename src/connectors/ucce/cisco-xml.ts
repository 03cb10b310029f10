/**
 * XML in and out for Cisco's contact-center REST APIs. Requests are built by fast-xml-parser's
 * builder, which escapes every text and attribute value, so a name such as `R&D <Lab>` cannot
 * change the document's shape. Answers are validated before they are parsed; values stay
 * strings (a login name `007` must not become the number 7).
 */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';

/** An element: child name to text, nested element, or repeated elements; `@_x` attributes. */
export type XmlNode = { [name: string]: XmlValue };
export type XmlValue = string | XmlNode | XmlValue[] | undefined;

/** The document `<root>…</root>` with an XML declaration. */
export function buildXml(root: string, body: XmlNode): string {
  return `<?xml version="1.0" encoding="UTF-8"?>${builder.build({ [root]: clean(body) })}`;
}

/** Parses a document; undefined when the text is not well-formed XML. */
export function parseXml(text: string): XmlNode | undefined {
  if (text.trim() === '' || XMLValidator.validate(text) !== true) return undefined;
  const doc = parser.parse(text) as XmlNode;
  delete doc['?xml'];
  return doc;
}

/** The text of a child element (`''` for an empty one), or undefined when absent. */
export function textOf(node: XmlValue, name?: string): string | undefined {
  const value = name === undefined ? node : elementOf(node, name);
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return textOf(value[0]);
  const inner = value['#text'];
  return typeof inner === 'string' ? inner : '';
}

/** A nested element, or undefined when absent or only text. */
export function child(node: XmlValue, name: string): XmlNode | undefined {
  const value = elementOf(node, name);
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value === '' ? {} : undefined;
  if (Array.isArray(value)) return child({ [name]: value[0] }, name);
  return value;
}

/** Repeated elements as a list: one element parses as an object, several as an array. */
export function list(node: XmlValue, name: string): XmlNode[] {
  const value = elementOf(node, name);
  const items = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return items.map((v) =>
    typeof v === 'object' && !Array.isArray(v) ? v : { '#text': typeof v === 'string' ? v : '' },
  );
}

/** An attribute of an element (`name` of `<team name="Sales">`). */
export function attributeOf(node: XmlNode | undefined, name: string): string | undefined {
  const value = node?.[`@_${name}`];
  return typeof value === 'string' ? value : undefined;
}

function elementOf(node: XmlValue, name: string): XmlValue {
  if (node === undefined || typeof node === 'string' || Array.isArray(node)) return undefined;
  return node[name];
}

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
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

function clean(node: XmlNode): XmlNode {
  const out: XmlNode = {};
  for (const [key, value] of Object.entries(node)) {
    if (value === undefined) continue;
    out[key] = cleanValue(value);
  }
  return out;
}

function cleanValue(value: XmlValue): XmlValue {
  if (value === undefined || typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(cleanValue);
  return clean(value);
}
