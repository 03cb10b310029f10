/**
 * Secret references: configuration holds `env:NAME` or `file:PATH`, never the secret itself.
 * `resolveSecret` turns a reference into its value at the moment a connector needs it; errors
 * name the reference and never the value. `redact` strips secret-looking fields before a value
 * reaches a log line, an API answer or the audit.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { CallsignError, ErrorCode } from './errors.ts';
import type { SecretRef } from './config-types.ts';

/** Resolves `env:NAME` or `file:PATH` (relative paths against `baseDir`, else the cwd). */
export function resolveSecret(ref: SecretRef, baseDir?: string): string {
  const kind = secretRefKind(ref);
  if (kind === 'env') return fromEnv(ref, ref.slice(4));
  if (kind === 'file') return fromFile(ref, ref.slice(5), baseDir);

  // The reference itself may be an inline secret typed by mistake: do not repeat it.
  throw new CallsignError(
    ErrorCode.Config,
    'Secret reference is neither env:NAME nor file:PATH (value not shown)',
  );
}

/** `env` or `file` when `value` is a well-formed secret reference, else undefined. */
export function secretRefKind(value: unknown): 'env' | 'file' | undefined {
  if (typeof value !== 'string') return undefined;
  if (/^env:[A-Za-z_][A-Za-z0-9_]*$/.test(value)) return 'env';
  if (/^file:.+$/.test(value)) return 'file';
  return undefined;
}

/** Makes a relative `file:` reference absolute against `baseDir` (the config's folder). */
export function anchorSecretRef(ref: SecretRef, baseDir: string): SecretRef {
  if (!ref.startsWith('file:')) return ref;
  const path = ref.slice(5);
  return isAbsolute(path) ? ref : `file:${resolve(baseDir, path)}`;
}

const SECRET_KEY = new RegExp(
  'pass(word|wd|phrase)?$|secret|token|api[-_]?key|private[-_]?key|^ha1$|cookie|authorization|' +
    'credential',
  'i',
);

/** A deep copy of `value` where every secret-looking field reads `[redacted]`. */
export function redact<T>(value: T): T {
  return redactValue(value, new WeakSet()) as T;
}

function redactValue(value: unknown, seen: WeakSet<object>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);

  if (Array.isArray(value)) return value.map((item) => redactValue(item, seen));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    // A reference (env:NAME) is safe to show and helps the reader find the secret's source.
    const hide = SECRET_KEY.test(key) && inner !== undefined && secretRefKind(inner) === undefined;
    out[key] = hide ? '[redacted]' : redactValue(inner, seen);
  }
  return out;
}

function fromEnv(ref: string, name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    const message = `Secret ${ref}: environment variable ${name} is not set`;
    throw new CallsignError(ErrorCode.Config, message, { details: { ref } });
  }
  return value;
}

function fromFile(ref: string, path: string, baseDir: string | undefined): string {
  const full = isAbsolute(path) ? path : resolve(baseDir ?? process.cwd(), path);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new CallsignError(ErrorCode.Config, `Secret ${ref}: cannot read ${full} (${code})`, {
      details: { ref, path: full },
    });
  }

  // Editors and `echo` add a final newline that is not part of the secret.
  const value = text.replace(/\r?\n$/, '');
  if (value === '') {
    throw new CallsignError(ErrorCode.Config, `Secret ${ref}: file ${full} is empty`, {
      details: { ref, path: full },
    });
  }
  return value;
}
