/**
 * Optional check of every outgoing AXL request against the customer's own copy of Cisco's AXL
 * schema (`schema: /path/to/AXLSoap.xsd`). Cisco's XSD files are not redistributable, so none
 * ships with Callsign: the administrator points at the files of their Unified CM's AXL toolkit.
 * libxml2 (libxml2-wasm) compiles the schema once, following its imports from the files beside
 * it (AXLSoap.xsd imports AXLEnums.xsd), and validates the operation element of each request
 * before it is sent; a request the schema refuses is never sent.
 */
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { XmlDocument, XmlValidateError, XsdValidator } from 'libxml2-wasm';
import { xmlRegisterFsInputProviders } from 'libxml2-wasm/lib/nodejs.mjs';

import { CallsignError, ErrorCode } from '../../core/errors.ts';
import type { AxlCallContext } from './axl-faults.ts';

let fsProviders = false;

export class AxlSchemaCheck {
  readonly file: string;
  readonly #validator: XsdValidator;

  /** Reads and compiles the schema; one that cannot be read or compiled is `config`. */
  constructor(target: string, file: string) {
    this.file = resolve(file);
    if (!fsProviders) fsProviders = xmlRegisterFsInputProviders();
    let doc: XmlDocument | undefined;
    try {
      // The URL lets libxml2 find imported and included schema files beside this one.
      doc = XmlDocument.fromBuffer(readFileSync(this.file), { url: this.file });
      this.#validator = XsdValidator.fromDoc(doc);
    } catch (err) {
      throw new CallsignError(ErrorCode.Config, `targets.${target}.schema: ${reasonOf(err)}`, {
        details: { target, field: 'schema', file: this.file },
      });
    } finally {
      doc?.dispose();
    }
  }

  /** Throws `rejected`, naming the element and the reason, when the request is not valid. */
  check(ctx: AxlCallContext, operationXml: string): void {
    const doc = XmlDocument.fromString(operationXml);
    try {
      this.#validator.validate(doc);
    } catch (err) {
      if (!(err instanceof XmlValidateError)) throw err;
      throw this.#invalid(ctx, err.details[0]?.message ?? err.message);
    } finally {
      doc.dispose();
    }
  }

  close(): void {
    this.#validator.dispose();
  }

  #invalid(ctx: AxlCallContext, said: string): CallsignError {
    // libxml2 says "Element '{namespace}name': reason"; the bare name is what a person reads.
    const first = said.trim().split('\n')[0] ?? '';
    const named = /Element '([^']+)'/.exec(first)?.[1] ?? ctx.operation;
    const element = named.replace(/^\{[^}]*\}/, '');
    const reason = first.replace(/^.*?Element '[^']+'(?:, attribute '[^']+')?:\s*/, '');
    const msg =
      `Unified CM '${ctx.target}': ${ctx.operation} for ${ctx.subject} does not match the AXL ` +
      `schema ${basename(this.file)}, not sent: element '${element}': ${reason}`;
    return new CallsignError(ErrorCode.Rejected, msg, {
      retryable: false,
      details: { target: ctx.target, operation: ctx.operation, element, reason, schema: this.file },
    });
  }
}

function reasonOf(err: unknown): string {
  if (err instanceof XmlValidateError) {
    return err.details.map((d) => d.message.trim()).join('; ') || err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
