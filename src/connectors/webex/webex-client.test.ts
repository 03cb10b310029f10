/**
 * The client's pieces that need no server: the Link header's rel="next", Retry-After in both
 * forms against an injected clock, and a next-page URL on a foreign host refused before the
 * token could travel there.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';

import { CallsignError } from '../../core/errors.ts';
import { nextLink, WebexClient } from './webex-client.ts';
import { retryAfterMs } from './webex-errors.ts';

test('nextLink finds rel="next" among several links, or nothing', () => {
  const header =
    '<https://webexapis.com/v1/people?max=2&cursor=YQ>; rel="first", ' +
    '<https://webexapis.com/v1/people?max=2&cursor=Yg>; rel="next"';
  assert.equal(nextLink(header), 'https://webexapis.com/v1/people?max=2&cursor=Yg');
  assert.equal(
    nextLink('<https://webexapis.com/v1/people?a=1>; rel=next'),
    'https://webexapis.com/v1/people?a=1',
  );
  assert.equal(nextLink('<https://webexapis.com/v1/people?a=1>; rel="prev"'), undefined);
  assert.equal(nextLink(null), undefined);
});

test('Retry-After: seconds, an HTTP date against the clock, or nothing usable', () => {
  const now = new Date('2024-05-01T12:00:00Z');
  assert.equal(retryAfterMs('4', now), 4000);
  assert.equal(retryAfterMs('Wed, 01 May 2024 12:00:30 GMT', now), 30_000);
  assert.equal(retryAfterMs('Wed, 01 May 2024 11:00:00 GMT', now), 0);
  assert.equal(retryAfterMs('soon', now), undefined);
  assert.equal(retryAfterMs(null, now), undefined);
});

test('a next page on another host is refused and the token is not sent there', async () => {
  let foreignHits = 0;
  const foreign = http.createServer((_req, res) => {
    foreignHits += 1;
    res.end('{"items":[]}');
  });
  await new Promise<void>((r) => foreign.listen(0, '127.0.0.2', r));
  const foreignPort = (foreign.address() as AddressInfo).port;
  const home = http.createServer((_req, res) => {
    res.writeHead(200, {
      'Content-Type': 'application/json',
      Link: `<http://127.0.0.2:${foreignPort}/v1/people?cursor=x>; rel="next"`,
    });
    res.end('{"items":[{"id":"a"}]}');
  });
  await new Promise<void>((r) => home.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(home.address() as AddressInfo).port}`;
  const client = new WebexClient({ target: 'w', url, token: 't0ken', timeoutMs: 2000 });

  const seen: unknown[] = [];
  await assert.rejects(
    (async () => {
      for await (const item of client.pages(
        { method: 'GET', path: '/v1/people' },
        { subject: 's' },
      )) {
        seen.push(item);
      }
    })(),
    (err: unknown) => err instanceof CallsignError && /another host/.test(err.message),
  );
  assert.equal(seen.length, 1);
  assert.equal(foreignHits, 0);
  home.close();
  foreign.close();
});
