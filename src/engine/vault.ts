import { createCipheriv, createDecipheriv, randomBytes, randomInt } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';

import type { SecretFormat } from '../core/config-types.ts';
import { CallsignError, ErrorCode } from '../core/errors.ts';
import type { Store } from '../store/types.ts';

/**
 * Keeps generated secrets (SIP passwords) encrypted in the store with AES-256-GCM. The key comes
 * from a secret reference; a `file:` key that does not exist yet is created on first use (0600),
 * so the embedded default needs no setup. The plain value leaves the vault only to the executor
 * (to set it on the target) and once to the person it belongs to.
 */
export class Vault {
  readonly #store: Store;
  readonly #key: Buffer;

  constructor(store: Store, key: Buffer) {
    if (key.length !== 32) {
      throw new CallsignError(ErrorCode.Config, 'secretKey: the key must be 32 bytes');
    }
    this.#store = store;
    this.#key = key;
  }

  /**
   * Stores a new random secret under the reference unless one exists; returns whether it did.
   * The format (a PIN of N digits) applies to a new secret only.
   */
  async ensure(ref: string, format?: SecretFormat): Promise<boolean> {
    if (await this.#store.getSecret(ref)) return false;
    const plain = format?.kind === 'pin' ? generatePin(format.length) : generatePassword();
    await this.#store.putSecret(ref, this.#encrypt(plain));
    return true;
  }

  async reveal(ref: string): Promise<string | undefined> {
    const stored = await this.#store.getSecret(ref);
    return stored === undefined ? undefined : this.#decrypt(ref, stored.ciphertext);
  }

  /** The plain value if it was never handed out; marks it handed out. */
  async takeUndelivered(ref: string, now: Date): Promise<string | undefined> {
    const stored = await this.#store.getSecret(ref);
    if (stored === undefined || stored.deliveredAt !== undefined) return undefined;
    await this.#store.markSecretDelivered(ref, now);
    return this.#decrypt(ref, stored.ciphertext);
  }

  async remove(ref: string): Promise<void> {
    await this.#store.deleteSecret(ref);
  }

  #encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), body].map(toB64).join('.');
  }

  #decrypt(ref: string, text: string): string {
    const [version, iv, tag, body] = text.split('.');
    try {
      if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('format');
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      const plain = Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]);
      return plain.toString('utf8');
    } catch (cause) {
      throw new CallsignError(
        ErrorCode.Internal,
        `Cannot decrypt secret '${ref}': wrong secretKey or damaged value`,
        { cause },
      );
    }
  }
}

/**
 * Reads the 32-byte key a reference points at (base64 or hex text, or 32 raw bytes). A `file:`
 * reference to a missing file creates the key there when `create` is set.
 */
export function loadVaultKey(ref: string, options: { baseDir: string; create: boolean }): Buffer {
  if (ref.startsWith('env:')) {
    const name = ref.slice(4);
    const value = process.env[name];
    if (!value) {
      throw new CallsignError(
        ErrorCode.Config,
        `secretKey: environment variable ${name} is not set`,
      );
    }
    return decodeKey(Buffer.from(value.trim()), ref);
  }
  if (!ref.startsWith('file:')) {
    throw new CallsignError(ErrorCode.Config, 'secretKey: must be an env: or file: reference');
  }

  const raw = ref.slice(5);
  const path = isAbsolute(raw) ? raw : resolve(options.baseDir, raw);
  if (!existsSync(path)) {
    if (!options.create) {
      throw new CallsignError(ErrorCode.Config, `secretKey: key file ${path} does not exist`);
    }
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
    chmodSync(path, 0o600);
  }
  return decodeKey(readFileSync(path), ref);
}

function decodeKey(raw: Buffer, ref: string): Buffer {
  if (raw.length === 32) return raw;
  const text = raw.toString('utf8').trim();
  const key = /^[0-9a-fA-F]{64}$/.test(text)
    ? Buffer.from(text, 'hex')
    : Buffer.from(text, 'base64');
  if (key.length !== 32) {
    throw new CallsignError(ErrorCode.Config, `secretKey: ${ref} does not hold a 32-byte key`);
  }
  return key;
}

/**
 * Where a resource's secret is kept: one per resource on a target. The store removes it when the
 * resource's delete operation completes, so a reused number never inherits an old password.
 */
export function secretRef(resource: { target: string; type: string; key: string }): string {
  return `${resource.target}/${resource.type}/${resource.key}`;
}

/** 20 characters from an alphabet without look-alikes: about 115 bits. */
function generatePassword(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  let out = '';
  for (let i = 0; i < 20; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/**
 * `length` random digits that are not trivial: voicemail systems refuse (and people guess) one
 * digit repeated and runs such as 123456 or 987654, so those are drawn again.
 */
export function generatePin(length: number): string {
  if (!Number.isInteger(length) || length < 4) {
    throw new CallsignError(ErrorCode.Config, `A PIN needs at least 4 digits, not ${length}`);
  }
  for (;;) {
    let pin = '';
    for (let i = 0; i < length; i++) pin += String(randomInt(10));
    if (!isTrivialPin(pin)) return pin;
  }
}

/** One digit repeated, or each digit one more (or one less) than the one before, 0 after 9. */
export function isTrivialPin(pin: string): boolean {
  const digits = [...pin].map(Number);
  const steps = new Set(digits.slice(1).map((d, i) => (d - digits[i]! + 10) % 10));
  return steps.size <= 1 && [0, 1, 9].includes([...steps][0] ?? 0);
}

function toB64(part: string | Buffer): string {
  return typeof part === 'string' ? part : part.toString('base64');
}
