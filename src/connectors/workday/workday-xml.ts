/**
 * The XML of Workday's Human Resources web service as Callsign speaks it: the SOAP 1.1 envelope
 * with a WS-Security UsernameToken (PasswordText, as Workday requires), the
 * Maintain_Contact_Information_for_Person_Event request for one work phone, and the reading of
 * answers and SOAP faults. Every value placed in the XML is escaped.
 */
import { XMLParser } from 'fast-xml-parser';

export const BSVC_NS = 'urn:com.workday/bsvc';
export const SOAP_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const WSSE_NS =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
export const PASSWORD_TEXT =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0' +
  '#PasswordText';

/** One work phone for Maintain_Contact_Information, already split into Workday's parts. */
export interface WorkPhoneRequest {
  /** `Employee_ID` or `Contingent_Worker_ID`. */
  idType: string;
  workerId: string;
  /** YYYY-MM-DD. */
  effectiveDate: string;
  /** ISO 3166 alpha-3 (`USA`); omitted when unknown. */
  countryIso3?: string;
  countryCode: string;
  areaCode?: string;
  /** Subscriber digits without separators; Workday formats them by the country's format. */
  number: string;
  extension?: string;
  version: string;
}

/** The SOAP envelope for one request body, with the UsernameToken header. */
export function envelope(options: { username: string; password: string; body: string }): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<soapenv:Envelope xmlns:soapenv="${SOAP_NS}" xmlns:bsvc="${BSVC_NS}">` +
    `<soapenv:Header><wsse:Security soapenv:mustUnderstand="1" xmlns:wsse="${WSSE_NS}">` +
    `<wsse:UsernameToken><wsse:Username>${esc(options.username)}</wsse:Username>` +
    `<wsse:Password Type="${PASSWORD_TEXT}">${esc(options.password)}</wsse:Password>` +
    `</wsse:UsernameToken></wsse:Security></soapenv:Header>` +
    `<soapenv:Body>${options.body}</soapenv:Body></soapenv:Envelope>`
  );
}

/**
 * The request body. `Add_Only="false"` replaces the worker's primary WORK phone instead of
 * adding another; the business process is auto-completed so no inbox task waits on it.
 */
export function maintainContactBody(r: WorkPhoneRequest): string {
  const opt = (name: string, value: string | undefined) =>
    value === undefined ? '' : `<bsvc:${name}>${esc(value)}</bsvc:${name}>`;
  const ref = (name: string, type: string, value: string) =>
    `<bsvc:${name}><bsvc:ID bsvc:type="${esc(type)}">${esc(value)}</bsvc:ID></bsvc:${name}>`;
  return (
    `<bsvc:Maintain_Contact_Information_for_Person_Event_Request bsvc:Add_Only="false"` +
    ` bsvc:version="${esc(r.version)}">` +
    `<bsvc:Business_Process_Parameters><bsvc:Auto_Complete>true</bsvc:Auto_Complete>` +
    `<bsvc:Run_Now>true</bsvc:Run_Now></bsvc:Business_Process_Parameters>` +
    `<bsvc:Maintain_Contact_Information_Data>` +
    ref('Worker_Reference', r.idType, r.workerId) +
    opt('Effective_Date', r.effectiveDate) +
    `<bsvc:Worker_Contact_Information_Data><bsvc:Phone_Data>` +
    opt('Country_ISO_Code', r.countryIso3) +
    opt('International_Phone_Code', r.countryCode) +
    opt('Area_Code', r.areaCode) +
    opt('Phone_Number', r.number) +
    opt('Phone_Extension', r.extension) +
    ref('Phone_Device_Type_Reference', 'Phone_Device_Type_ID', 'Landline') +
    `<bsvc:Usage_Data bsvc:Public="true"><bsvc:Type_Data bsvc:Primary="true">` +
    ref('Type_Reference', 'Communication_Usage_Type_ID', 'WORK') +
    `</bsvc:Type_Data></bsvc:Usage_Data>` +
    `</bsvc:Phone_Data></bsvc:Worker_Contact_Information_Data>` +
    `</bsvc:Maintain_Contact_Information_Data>` +
    `</bsvc:Maintain_Contact_Information_for_Person_Event_Request>`
  );
}

/** A SOAP fault as Workday sends it (faultcode `SOAP-ENV:Client.validationError` and kin). */
export interface SoapFault {
  /** The part after the prefix: `Client.validationError`, `Client.authenticationError`… */
  code: string;
  message: string;
  /** Validation_Error/Xpath when given: where in the request the fault is. */
  xpath?: string;
}

export type SoapNode = { [name: string]: unknown };

/** Reads a SOAP answer: the Body's first element, or the fault. Throws on text that is not XML. */
export function parseSoap(text: string): { body: SoapNode } | { fault: SoapFault } {
  const doc = parser.parse(text) as SoapNode;
  const body = node(node(doc, 'Envelope'), 'Body');
  if (body === undefined) throw new SyntaxError('answer has no SOAP Body');
  const fault = node(body, 'Fault');
  if (fault === undefined) return { body };
  const code = textOf(fault.faultcode) ?? '';
  const validation = node(node(node(fault, 'detail'), 'Validation_Fault'), 'Validation_Error');
  const out: SoapFault = {
    code: code.includes(':') ? code.slice(code.indexOf(':') + 1) : code,
    message: textOf(fault.faultstring) ?? textOf(validation?.Message) ?? 'SOAP fault',
  };
  const xpath = textOf(validation?.Xpath);
  if (xpath !== undefined) out.xpath = xpath;
  return { fault: out };
}

/** The element name a Workday Xpath ends in: `…/wd:Phone_Number[1]` → `Phone_Number`. */
export function fieldOfXpath(xpath: string): string {
  const last =
    xpath
      .split('/')
      .filter((s) => s !== '')
      .pop() ?? xpath;
  return last
    .replace(/\[\d+\]$/, '')
    .replace(/^[^:]*:/, '')
    .replace(/^@/, '');
}

/** The child element `name` of a parsed node, when it is an element. */
export function node(value: unknown, name: string): SoapNode | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const child = (value as SoapNode)[name];
  const first = Array.isArray(child) ? child[0] : child;
  return first !== null && typeof first === 'object' ? (first as SoapNode) : undefined;
}

/** Text content of a parsed element (plain, or with attributes under `#text`). */
export function textOf(value: unknown): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  if (typeof first === 'string') return first;
  if (first !== null && typeof first === 'object' && '#text' in first) {
    return String((first as SoapNode)['#text']);
  }
  return undefined;
}

/** Escapes text and attribute values alike. */
export function esc(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

// Tag values stay strings: `0100` and `1` must not become numbers.
export const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: true,
});
