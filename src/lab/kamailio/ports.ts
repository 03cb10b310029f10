/**
 * Free loopback ports for lab servers and SIP clients. The port is found by binding port 0 and
 * releasing it, so another process could take it before we bind again; on a test machine that
 * window is short enough, and the caller fails loudly (bind error) if it happens.
 */
import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';

const LOOPBACK = '127.0.0.1';

/** A port free for both UDP and TCP on 127.0.0.1 (SIP listens on both). */
export async function freeSipPort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await freeTcpPort();
    if (await udpPortFree(port)) return port;
  }
  throw new Error('No loopback port free for both UDP and TCP after 20 attempts');
}

/** A port free for UDP on 127.0.0.1. */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, LOOPBACK, () => resolve());
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') {
    throw new Error('TCP server on 127.0.0.1 has no port');
  }
  return address.port;
}

async function udpPortFree(port: number): Promise<boolean> {
  const socket = createSocket('udp4');
  const free = await new Promise<boolean>((resolve) => {
    socket.once('error', () => resolve(false));
    socket.bind(port, LOOPBACK, () => resolve(true));
  });
  await new Promise<void>((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      // A socket whose bind failed is already closed.
      resolve();
    }
  });
  return free;
}

/**
 * Waits until some process has bound UDP `port` on 127.0.0.1, by reading /proc/net/udp rather
 * than binding it ourselves (which could make the other process's bind fail).
 */
export async function waitUdpBound(port: number, timeoutMs: number): Promise<boolean> {
  const needle = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const table = await readFile('/proc/net/udp', 'utf8').catch(() => '');
    if (table.includes(needle)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}
