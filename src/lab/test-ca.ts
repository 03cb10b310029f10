/**
 * A throwaway certificate authority for TLS tests: a CA and one server certificate for
 * 127.0.0.1 and localhost, made with the `openssl` command line in a new temporary folder.
 * Nothing here is fit for production: keys are unencrypted and live until `remove()`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCa {
  dir: string;
  /** PEM certificate of the CA: what a client trusts (`tlsCa`). */
  caFile: string;
  /** PEM server certificate, signed by the CA, for IP 127.0.0.1 and DNS localhost. */
  certFile: string;
  /** PEM private key of the server certificate (unencrypted). */
  keyFile: string;
  /** Deletes the folder and everything in it. */
  remove(): void;
}

export interface TestCaOptions {
  /** Subject common name of the CA; distinct CAs make "wrong CA" tests readable. */
  name?: string;
  /** Days the certificates are valid; default 2. */
  days?: number;
}

/** Makes a CA and a server certificate signed by it. Needs `openssl` on the PATH. */
export async function makeTestCa(options: TestCaOptions = {}): Promise<TestCa> {
  const dir = mkdtempSync(join(tmpdir(), 'callsign-ca-'));
  const file = (name: string) => join(dir, name);
  const days = String(options.days ?? 2);
  const name = options.name ?? 'Callsign Test CA';
  const ca: TestCa = {
    dir,
    caFile: file('ca.pem'),
    certFile: file('server.pem'),
    keyFile: file('server.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };

  try {
    // EC keys: generated in milliseconds, and both OpenSSL and GnuTLS (Debian's slapd) take them.
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    await openssl([
      'req',
      '-x509',
      ...ec,
      '-keyout',
      file('ca.key'),
      '-out',
      ca.caFile,
      '-days',
      days,
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    await openssl([
      'req',
      ...ec,
      '-keyout',
      ca.keyFile,
      '-out',
      file('server.csr'),
      '-subj',
      '/CN=localhost',
    ]);
    writeFileSync(file('server.ext'), SERVER_EXTENSIONS);
    await openssl([
      'x509',
      '-req',
      '-in',
      file('server.csr'),
      '-CA',
      ca.caFile,
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-out',
      ca.certFile,
      '-days',
      days,
      '-extfile',
      file('server.ext'),
    ]);
    return ca;
  } catch (err) {
    ca.remove();
    throw err;
  }
}

const SERVER_EXTENSIONS = [
  'basicConstraints=CA:FALSE',
  'keyUsage=critical,digitalSignature,keyAgreement',
  'extendedKeyUsage=serverAuth',
  'subjectAltName=IP:127.0.0.1,DNS:localhost',
  '',
].join('\n');

function openssl(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { timeout: 30_000 }, (err, _stdout, stderr) => {
      if (err === null) resolve();
      else reject(new Error(`openssl ${args[0]} failed: ${stderr.trim() || err.message}`));
    });
  });
}
