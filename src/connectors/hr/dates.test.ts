/** Where a calendar day begins in a time zone, across daylight saving changes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { plusDays, startOfDay } from './dates.ts';

test('startOfDay: midnight in the zone, standard and daylight time, east and west', () => {
  const at = (iso: string, zone: string) => startOfDay(iso, zone).toISOString();
  assert.equal(at('2031-01-15', 'UTC'), '2031-01-15T00:00:00.000Z');
  assert.equal(at('2031-01-15', 'America/New_York'), '2031-01-15T05:00:00.000Z');
  assert.equal(at('2031-07-15', 'America/New_York'), '2031-07-15T04:00:00.000Z');
  // The days daylight time starts and ends in New York (9 March, 2 November 2031).
  assert.equal(at('2031-03-09', 'America/New_York'), '2031-03-09T05:00:00.000Z');
  assert.equal(at('2031-03-10', 'America/New_York'), '2031-03-10T04:00:00.000Z');
  assert.equal(at('2031-11-02', 'America/New_York'), '2031-11-02T04:00:00.000Z');
  assert.equal(at('2031-11-03', 'America/New_York'), '2031-11-03T05:00:00.000Z');
  assert.equal(at('2031-07-15', 'Asia/Kolkata'), '2031-07-14T18:30:00.000Z');
  assert.equal(at('2031-01-15', 'Pacific/Auckland'), '2031-01-14T11:00:00.000Z');
  assert.equal(plusDays('2031-12-31', 1), '2032-01-01');
});
