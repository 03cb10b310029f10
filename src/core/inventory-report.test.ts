import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { AuditEntry, PoolUsage } from '../store/types.ts';
import {
  allocationsFromAudit,
  formatInventoryReport,
  inventoryReport,
  type AllocationEvent,
} from './inventory-report.ts';

const NOW = new Date('2030-03-01T12:00:00Z');
const DAY = 86_400_000;

test('utilisation, rate and forecast from allocations inside the window only', () => {
  const usage = [pool('nyc', { available: 40, assigned: 50, blocked: 10 })];
  // 20 allocations over the last 10 days, plus some outside the window and in the future.
  const events = [
    ...Array.from({ length: 20 }, (_, i) => at('nyc', NOW.getTime() - (i * DAY) / 2)),
    at('nyc', NOW.getTime() - 11 * DAY),
    at('nyc', NOW.getTime() + DAY),
    at('sfo', NOW.getTime() - DAY),
  ];
  const [r] = inventoryReport(usage, events, { now: NOW, windowDays: 10, lowStockPercent: 20 });

  assert.equal(r!.usable, 90);
  assert.equal(r!.utilisationPercent.toFixed(2), '55.56');
  assert.equal(r!.freePercent.toFixed(2), '44.44');
  assert.equal(r!.allocationsInWindow, 20);
  assert.equal(r!.ratePerDay, 2);
  assert.equal(r!.daysLeft, 20);
  assert.equal(r!.runsOutOn, '2030-03-21');
  assert.equal(r!.forecast, 'runs out in about 20 days (2030-03-21) at 2.00 allocations a day');
  assert.equal(r!.lowStock, false);
});

test('no allocations in the window: no forecast date, said in words', () => {
  const usage = [pool('quiet', { available: 5, assigned: 95 })];
  const old = [at('quiet', NOW.getTime() - 40 * DAY)];
  const [r] = inventoryReport(usage, old, { now: NOW, windowDays: 30, lowStockPercent: 10 });
  assert.equal(r!.ratePerDay, 0);
  assert.equal(r!.daysLeft, undefined);
  assert.equal(r!.forecast, 'no allocations in the window (last 30 days)');
  assert.equal(r!.lowStock, true);
});

test('low stock follows the threshold; an empty or exhausted pool is low', () => {
  const usage = [
    pool('a', { available: 10, assigned: 90 }),
    pool('b', { assigned: 3, blocked: 2 }),
    pool('c', {}),
  ];
  const at10 = inventoryReport(usage, [], { now: NOW, windowDays: 7, lowStockPercent: 10 });
  const at11 = inventoryReport(usage, [], { now: NOW, windowDays: 7, lowStockPercent: 11 });
  assert.deepEqual(
    at10.map((r) => r.lowStock),
    [false, true, true],
  );
  assert.deepEqual(
    at11.map((r) => r.lowStock),
    [true, true, true],
  );
  assert.equal(at10[1]!.forecast, 'no free number left');
  assert.equal(at10[1]!.daysLeft, 0);
  assert.throws(
    () => inventoryReport(usage, [], { now: NOW, windowDays: 0, lowStockPercent: 10 }),
    /windowDays must be above 0/,
  );
});

test('allocations come from number.assigned audit entries only', () => {
  const entries: AuditEntry[] = [
    {
      at: '2030-01-01T00:00:00Z',
      actor: 'engine',
      action: 'number.assigned',
      subject: 'number:nyc-ext:2001',
    },
    {
      at: '2030-01-02T00:00:00Z',
      actor: 'engine',
      action: 'number.assigned',
      subject: 'number:nyc-did:+12125550100',
    },
    {
      at: '2030-01-03T00:00:00Z',
      actor: 'cli:a',
      action: 'number.moved',
      subject: 'number:nyc-ext:2002',
    },
    { at: '2030-01-04T00:00:00Z', actor: 'engine', action: 'number.assigned', subject: 'x' },
  ];
  assert.deepEqual(allocationsFromAudit(entries), [
    { pool: 'nyc-ext', at: '2030-01-01T00:00:00Z' },
    { pool: 'nyc-did', at: '2030-01-02T00:00:00Z' },
  ]);
});

test('formatted lines name the pool, the counts, the forecast and the flag', () => {
  const reports = inventoryReport([pool('nyc', { available: 1, assigned: 99 })], [], {
    now: NOW,
    windowDays: 30,
    lowStockPercent: 5,
  });
  assert.deepEqual(formatInventoryReport(reports), [
    'nyc (extension): 1 free of 100 usable, 99.0% assigned  LOW STOCK',
    '  available 1, reserved 0, assigned 99, quarantined 0, held 0, blocked 0, retired 0, forwarding 0',
    '  forecast: no allocations in the window (last 30 days)',
  ]);
});

function pool(name: string, counts: Partial<PoolUsage['counts']>): PoolUsage {
  const full = {
    available: 0,
    reserved: 0,
    assigned: 0,
    quarantined: 0,
    held: 0,
    blocked: 0,
    retired: 0,
    forwarding: 0,
    ...counts,
  };
  const total = Object.values(full).reduce((a, b) => a + b, 0);
  return { pool: name, kind: 'extension', total, counts: full, free: full.available };
}

function at(poolName: string, ms: number): AllocationEvent {
  return { pool: poolName, at: new Date(ms).toISOString() };
}
