/**
 * The small part of JSON Schema the API uses, and a validator for it. Request bodies and query
 * parameters are declared once in these terms: the same objects go into the OpenAPI document
 * and check the requests, so the document cannot drift from what the server accepts.
 */
import { badRequest } from './http-errors.ts';

/** A schema: scalars, objects and arrays; `$ref` only in response descriptions. */
export type Schema =
  | StringSchema
  | { type: 'integer'; minimum?: number; maximum?: number; description?: string }
  | { type: 'boolean'; description?: string }
  | ObjectSchema
  | { type: 'array'; items: Schema; description?: string }
  | { $ref: string; description?: string }
  | { type?: undefined; description?: string; nullable?: boolean };

export interface StringSchema {
  type: 'string';
  enum?: readonly string[];
  format?: 'date-time';
  minLength?: number;
  maxLength?: number;
  description?: string;
}

export interface ObjectSchema {
  type: 'object';
  properties: Record<string, Schema>;
  required?: readonly string[];
  /** Request bodies refuse unknown fields unless this is true. */
  additionalProperties?: boolean;
  description?: string;
}

/** Checks `value` against `schema`; throws a 400 naming the first wrong field. */
export function validate(schema: Schema, value: unknown, path: string): void {
  if ('$ref' in schema || schema.type === undefined) return;
  switch (schema.type) {
    case 'string':
      return checkString(schema, value, path);
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        throw badRequest(path, `${path} must be an integer, not ${kindOf(value)}`);
      }
      if (
        (schema.minimum !== undefined && value < schema.minimum) ||
        (schema.maximum !== undefined && value > schema.maximum)
      ) {
        const range = `${schema.minimum ?? '-∞'}..${schema.maximum ?? '∞'}`;
        throw badRequest(path, `${path} is ${value}, outside ${range}`);
      }
      return;
    case 'boolean':
      if (typeof value !== 'boolean') {
        throw badRequest(path, `${path} must be true or false, not ${kindOf(value)}`);
      }
      return;
    case 'array':
      if (!Array.isArray(value)) throw badRequest(path, `${path} must be an array`);
      value.forEach((item, i) => validate(schema.items, item, `${path}[${i}]`));
      return;
    case 'object':
      return checkObject(schema, value, path);
  }
}

/** Parses a JSON request body and validates it; an empty body counts as `{}`. */
export function parseBody(schema: ObjectSchema, text: string): Record<string, unknown> {
  let value: unknown = {};
  if (text.trim() !== '') {
    try {
      value = JSON.parse(text);
    } catch {
      throw badRequest('body', 'Request body is not valid JSON');
    }
  }
  validate(schema, value, 'body');
  return value as Record<string, unknown>;
}

/** Converts query text to the schema's type, then validates it. Lists are comma-separated. */
export function parseQueryValue(schema: Schema, text: string, name: string): unknown {
  if ('$ref' in schema || schema.type === undefined) return text;
  let value: unknown = text;
  if (schema.type === 'integer') value = /^-?\d+$/.test(text) ? Number(text) : text;
  if (schema.type === 'boolean') value = text === 'true' ? true : text === 'false' ? false : text;
  if (schema.type === 'array') value = text.split(',').filter((s) => s !== '');
  validate(schema, value, name);
  return value;
}

function checkString(schema: StringSchema, value: unknown, path: string): void {
  if (typeof value !== 'string') {
    throw badRequest(path, `${path} must be a string, not ${kindOf(value)}`);
  }
  if (schema.enum !== undefined && !schema.enum.includes(value)) {
    const allowed = schema.enum.join(', ');
    throw badRequest(path, `${path} is '${value.slice(0, 40)}', not one of ${allowed}`);
  }
  if (schema.minLength !== undefined && value.length < schema.minLength) {
    throw badRequest(path, `${path} must have at least ${schema.minLength} characters`);
  }
  if (schema.maxLength !== undefined && value.length > schema.maxLength) {
    throw badRequest(path, `${path} must have at most ${schema.maxLength} characters`);
  }
  if (schema.format === 'date-time' && Number.isNaN(Date.parse(value))) {
    throw badRequest(path, `${path} is not a date and time (ISO 8601)`);
  }
}

function checkObject(schema: ObjectSchema, value: unknown, path: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest(path, `${path} must be a JSON object, not ${kindOf(value)}`);
  }
  const record = value as Record<string, unknown>;
  for (const key of schema.required ?? []) {
    if (record[key] === undefined) throw badRequest(`${path}.${key}`, `${path}.${key} is required`);
  }
  for (const [key, item] of Object.entries(record)) {
    const field = schema.properties[key];
    if (field === undefined) {
      if (schema.additionalProperties === true) continue;
      const known = Object.keys(schema.properties).join(', ') || 'none';
      throw badRequest(`${path}.${key}`, `${path}.${key} is not a known field (known: ${known})`);
    }
    validate(field, item, `${path}.${key}`);
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
