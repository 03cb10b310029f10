/**
 * A small Workday Human Resources web service on 127.0.0.1:0 for Maintain_Contact_Information:
 * checks the WS-Security UsernameToken, validates the request (unknown worker, missing
 * required element → Client.validationError with an Xpath), stores phones per worker and
 * answers Maintain_Contact_Information_for_Person_Event_Response. `failNext` answers 500.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import {
  esc,
  node,
  parser,
  textOf,
  type SoapNode,
} from '../../../src/connectors/workday/workday-xml.ts';

export interface StoredPhone {
  idType: string;
  countryIso3?: string;
  countryCode: string;
  areaCode?: string;
  number: string;
  extension?: string;
  usage: string;
  primary: boolean;
  effectiveDate: string;
}

export interface WorkdayEmulator {
  url: string;
  /** Worker id → the primary WORK phone stored. */
  phones: Map<string, StoredPhone>;
  failNext: (count?: number) => void;
  close: () => Promise<void>;
}

const REQUEST = 'Maintain_Contact_Information_for_Person_Event_Request';
const XP = `/ns0:${REQUEST}[1]/ns0:Maintain_Contact_Information_Data[1]`;

export async function startWorkdayEmulator(options: {
  username: string;
  password: string;
  workers: string[];
  tenant?: string;
  /** Tenants that have no default country for phones refuse a Phone_Data without one. */
  requireCountry?: boolean;
}): Promise<WorkdayEmulator> {
  const phones = new Map<string, StoredPhone>();
  const workers = new Set(options.workers);
  let failing = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: string) => {
        res.writeHead(status, { 'content-type': 'text/xml; charset=utf-8' });
        res.end(soap(body));
      };
      if (failing > 0) {
        failing -= 1;
        return reply(500, fault('Server', 'Internal error.'));
      }
      let doc: SoapNode;
      try {
        doc = parser.parse(Buffer.concat(chunks).toString('utf8')) as SoapNode;
      } catch {
        return reply(500, fault('Client', 'Invalid request service version'));
      }
      const env = node(doc, 'Envelope');
      const token = node(node(node(env, 'Header'), 'Security'), 'UsernameToken');
      const user = textOf(token?.Username);
      const pass = textOf(token?.Password);
      if (user !== options.username || pass !== options.password) {
        return reply(500, fault('Client.authenticationError', 'invalid username or password'));
      }
      const request = node(node(env, 'Body'), REQUEST);
      const data = node(request, 'Maintain_Contact_Information_Data');
      const idNode = node(data, 'Worker_Reference')?.ID;
      const workerId = textOf(idNode);
      const idType = (node(data, 'Worker_Reference')?.ID as SoapNode | undefined)?.['@type'];
      if (workerId === undefined || !workers.has(workerId)) {
        const msg =
          `Invalid ID value.  '${workerId ?? ''}' is not a valid ID value for type = ` +
          `'${String(idType ?? 'Employee_ID')}'`;
        return reply(500, validation(msg, `${XP}/ns0:Worker_Reference[1]/ns0:ID[1]`));
      }
      const phone = node(node(data, 'Worker_Contact_Information_Data'), 'Phone_Data');
      const required = ['Effective_Date', 'International_Phone_Code', 'Phone_Number'];
      if (options.requireCountry === true) required.push('Country_ISO_Code');
      for (const name of required) {
        const holder = name === 'Effective_Date' ? data : phone;
        if (textOf(holder?.[name]) === undefined || textOf(holder?.[name]) === '') {
          const path =
            name === 'Effective_Date'
              ? `${XP}/ns0:${name}[1]`
              : `${XP}/ns0:Worker_Contact_Information_Data[1]/ns0:Phone_Data[1]/ns0:${name}[1]`;
          return reply(500, validation(`Element content is required: ${name}`, path));
        }
      }
      const number = textOf(phone!.Phone_Number)!;
      if (!/^[0-9]{1,20}$/.test(number.replace(/[-\s]/g, ''))) {
        const path =
          `${XP}/ns0:Worker_Contact_Information_Data[1]/ns0:Phone_Data[1]` + '/ns0:Phone_Number[1]';
        return reply(500, validation(`Phone number '${number}' is not valid`, path));
      }
      const typeData = node(node(phone, 'Usage_Data'), 'Type_Data');
      const stored: StoredPhone = {
        idType: String(idType ?? ''),
        countryCode: textOf(phone!.International_Phone_Code)!,
        number,
        usage: textOf(node(typeData, 'Type_Reference')?.ID) ?? '',
        primary: typeData?.['@Primary'] === 'true',
        effectiveDate: textOf(data!.Effective_Date)!,
      };
      const iso3 = textOf(phone!.Country_ISO_Code);
      const area = textOf(phone!.Area_Code);
      const ext = textOf(phone!.Phone_Extension);
      if (iso3 !== undefined) stored.countryIso3 = iso3;
      if (area !== undefined) stored.areaCode = area;
      if (ext !== undefined) stored.extension = ext;
      phones.set(workerId, stored);
      reply(
        200,
        `<wd:Maintain_Contact_Information_for_Person_Event_Response wd:version="v42.0">` +
          `<wd:Personal_Information_Change_Event_Reference><wd:ID wd:type="WID">` +
          `${randomUUID().replace(/-/g, '')}</wd:ID>` +
          `</wd:Personal_Information_Change_Event_Reference>` +
          `</wd:Maintain_Contact_Information_for_Person_Event_Response>`,
      );
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  const tenant = options.tenant ?? 'acme';
  return {
    url: `http://127.0.0.1:${port}/ccx/service/${tenant}/Human_Resources/v42.0`,
    phones,
    failNext: (count = 1) => {
      failing = count;
    },
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

export function soap(body: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"` +
    ` xmlns:wd="urn:com.workday/bsvc"><env:Body>${body}</env:Body></env:Envelope>`
  );
}

export function fault(code: string, message: string, detail = ''): string {
  return (
    `<SOAP-ENV:Fault xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">` +
    `<faultcode>SOAP-ENV:${code}</faultcode><faultstring>${esc(message)}</faultstring>` +
    `${detail}</SOAP-ENV:Fault>`
  );
}

export function validation(message: string, xpath: string): string {
  return fault(
    'Client.validationError',
    `Validation error occurred. ${message}`,
    `<detail><wd:Validation_Fault><wd:Validation_Error><wd:Message>${esc(message)}` +
      `</wd:Message><wd:Detail_Message>${esc(message)}</wd:Detail_Message>` +
      `<wd:Xpath>${esc(xpath)}</wd:Xpath></wd:Validation_Error></wd:Validation_Fault></detail>`,
  );
}
