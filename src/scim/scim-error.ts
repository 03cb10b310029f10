/**
 * SCIM protocol errors (RFC 7644 §3.12): an HTTP status and, for 400s and some 409s, a
 * `scimType`. Thrown inside the SCIM service and turned into the Error schema at its edge;
 * CallsignErrors from the store map through `fromCallsignError`.
 */
import { CallsignError, ErrorCode } from '../core/errors.ts';

export const ScimType = {
  InvalidFilter: 'invalidFilter',
  TooMany: 'tooMany',
  Uniqueness: 'uniqueness',
  Mutability: 'mutability',
  InvalidSyntax: 'invalidSyntax',
  InvalidPath: 'invalidPath',
  NoTarget: 'noTarget',
  InvalidValue: 'invalidValue',
  InvalidVersion: 'invalidVers',
  Sensitive: 'sensitive',
} as const;
export type ScimType = (typeof ScimType)[keyof typeof ScimType];

export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** A failure with the status and scimType the client must see. */
export class ScimError extends Error {
  readonly status: number;
  readonly scimType: ScimType | undefined;

  constructor(status: number, message: string, scimType?: ScimType) {
    super(message);
    this.name = 'ScimError';
    this.status = status;
    this.scimType = scimType;
  }

  /** The Error schema body; RFC 7644 §3.12 makes `status` a string. */
  toBody(): Record<string, unknown> {
    return {
      schemas: [ERROR_SCHEMA],
      status: String(this.status),
      ...(this.scimType === undefined ? {} : { scimType: this.scimType }),
      detail: this.message,
    };
  }
}

/** 400 with a scimType: the most common failure. */
export function badRequest(scimType: ScimType, message: string): ScimError {
  return new ScimError(400, message, scimType);
}

/** Maps anything thrown to a ScimError; unknown failures become a 500 without internals. */
export function toScimError(err: unknown): ScimError {
  if (err instanceof ScimError) return err;
  if (err instanceof CallsignError) return fromCallsignError(err);
  return new ScimError(500, 'Internal error; the change was not made');
}

function fromCallsignError(err: CallsignError): ScimError {
  switch (err.code) {
    case ErrorCode.NotFound:
      return new ScimError(404, err.message);
    case ErrorCode.Duplicate:
      return new ScimError(409, err.message, ScimType.Uniqueness);
    case ErrorCode.BadRecord:
    case ErrorCode.Rejected:
      return badRequest(ScimType.InvalidValue, err.message);
    case ErrorCode.Throttled:
    case ErrorCode.Unavailable:
      return new ScimError(503, err.message);
    default:
      return new ScimError(500, 'Internal error; the change was not made');
  }
}
