/**
 * AXL failures as CallsignErrors. Unified CM answers a failed operation with HTTP 500 and a SOAP
 * Fault whose detail holds `axlError/axlcode` and `axlmessage`; the codes below are the ones
 * the AXL developer guide and the Informix database beneath it document. HTTP statuses other
 * than 500 come from the web layer in front of AXL (401, 403, 503 when the change queue is deep).
 */
import { CallsignError, ErrorCode } from '../../core/errors.ts';

/** Where a failure happened, for messages that name the record and the field. */
export interface AxlCallContext {
  target: string;
  operation: string;
  /** The record: `line 1001@Internal_PT`, `phone SEP…`, `user jdoe`. */
  subject: string;
  /** Names the request referred to (devicePoolName → value), to name a missing one. */
  references?: Record<string, string>;
}

export const AxlCode = {
  /** Informix: duplicate value in a unique index. */
  Duplicate: -239,
  /** Informix: missing key in referenced table (device pool, partition, owner…). */
  MissingReference: -691,
  /** Informix: key still referenced (a line still on a phone). */
  StillReferenced: -692,
  /** AXL: item not valid / not found (get, remove). */
  ItemNotFound: 5007,
  /** AXL: not found on update. */
  UpdateNotFound: 5003,
} as const;

/** Maps an AXL fault onto the engine's error type. */
export function faultError(
  ctx: AxlCallContext,
  fault: { faultString: string; axlCode?: number; axlMessage?: string },
): CallsignError {
  const said = fault.axlMessage ?? fault.faultString;
  const details = { target: ctx.target, operation: ctx.operation, axlcode: fault.axlCode };
  const where = `Unified CM '${ctx.target}' refused ${ctx.operation} for ${ctx.subject}`;
  switch (fault.axlCode) {
    case AxlCode.Duplicate:
      return new CallsignError(ErrorCode.Duplicate, `${where}: already exists (${said})`, {
        details,
      });
    case AxlCode.MissingReference: {
      const missing = missingReference(said, ctx.references ?? {});
      return new CallsignError(ErrorCode.MissingReference, `${where}: ${missing} (${said})`, {
        retryable: false,
        details: { ...details, references: ctx.references ?? {} },
      });
    }
    case AxlCode.StillReferenced:
      // The phone that holds the line may be on its way out in the same run.
      return new CallsignError(ErrorCode.State, `${where}: still in use (${said})`, {
        retryable: true,
        details,
      });
    case AxlCode.ItemNotFound:
    case AxlCode.UpdateNotFound:
      return new CallsignError(ErrorCode.NotFound, `${where}: not found (${said})`, { details });
    default:
      return new CallsignError(ErrorCode.Rejected, `${where}: ${said}`, { details });
  }
}

/** Maps an HTTP status that carries no SOAP fault. */
export function statusError(
  ctx: AxlCallContext,
  status: number,
  retryAfterMs?: number,
): CallsignError {
  const details = { target: ctx.target, operation: ctx.operation, status };
  const who = `Unified CM '${ctx.target}'`;
  if (status === 401) {
    const msg = `${who} refused the AXL credentials (HTTP 401) on ${ctx.operation}`;
    return new CallsignError(ErrorCode.Auth, msg, { details });
  }
  if (status === 403) {
    const msg = `${who}: the AXL user lacks the Standard AXL API Access role (HTTP 403)`;
    return new CallsignError(ErrorCode.Auth, msg, { details });
  }
  if (status === 503) {
    const msg = `${who} is busy (HTTP 503, change queue full) on ${ctx.operation}`;
    const opts = retryAfterMs === undefined ? {} : { retryAfterMs };
    return new CallsignError(ErrorCode.Throttled, msg, { details, ...opts });
  }
  const code = status >= 500 ? ErrorCode.Unavailable : ErrorCode.Rejected;
  return new CallsignError(code, `${who} answered HTTP ${status} on ${ctx.operation}`, {
    details,
  });
}

/** An answer that is not an AXL document (an HTML login page, a proxy's error). */
export function notXmlError(
  ctx: AxlCallContext,
  answer: { status: number; contentType: string; reason: string },
): CallsignError {
  const msg =
    `Unified CM '${ctx.target}' answered ${ctx.operation} with something that is not an AXL ` +
    `response (HTTP ${answer.status}, ${answer.contentType || 'no content type'}: ` +
    `${answer.reason}); check the url points at https://host:8443/axl/`;
  return new CallsignError(ErrorCode.Unavailable, msg, {
    details: { target: ctx.target, operation: ctx.operation, status: answer.status },
  });
}

/**
 * Which reference was missing. Informix names the foreign key (`fk_device_fkdevicepool`);
 * when it does not, every reference the request made is listed so none is hidden.
 */
function missingReference(message: string, references: Record<string, string>): string {
  const lower = message.toLowerCase();
  for (const [field, hints] of Object.entries(CONSTRAINT_HINTS)) {
    if (references[field] !== undefined && hints.some((h) => lower.includes(h))) {
      return `${field} '${references[field]}' does not exist`;
    }
  }
  const named = Object.entries(references).map(([f, v]) => `${f} '${v}'`);
  if (named.length === 0) return 'a referenced item does not exist';
  return `one of ${named.join(', ')} does not exist`;
}

const CONSTRAINT_HINTS: Record<string, string[]> = {
  devicePoolName: ['devicepool'],
  routePartitionName: ['routepartition'],
  ownerUserName: ['enduser', 'owner'],
  callingSearchSpaceName: ['callingsearchspace'],
  phoneTemplateName: ['phonetemplate', 'phonebutton'],
  locationName: ['location'],
  commonPhoneConfigName: ['commonphoneconfig'],
  line: ['numplan'],
};
