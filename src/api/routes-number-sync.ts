/**
 * The inventory's bulk routes, twins of `callsign numbers import|reconcile|report|export`: they
 * call the same functions as the CLI (src/engine/number-inventory.ts) and only shape the answer.
 */
import { NUMBER_STATES } from '../store/number-queries.ts';
import type { NumberState } from '../store/types.ts';
import {
  exportNumbersCsv,
  importNumbersCsv,
  poolReports,
  reconcileInventory,
} from '../engine/number-inventory.ts';
import type { RouteDef } from './route.ts';
import type { ObjectSchema, Schema } from './schema.ts';

const ANY: Schema = {};
const OBJECT = (properties: Record<string, Schema>, description?: string): ObjectSchema => ({
  type: 'object',
  properties,
  ...(description === undefined ? {} : { description }),
});

/** The routes; registered after the other number routes. */
export const numberSyncRoutes: RouteDef[] = [
  {
    method: 'post',
    path: '/numbers/import',
    scope: 'write',
    tag: 'numbers',
    summary: 'Import assignments, reservations and blocks from a CSV; valid rows in one go',
    rawBody: {
      contentType: 'text/csv',
      description: 'UTF-8 CSV with the header pool,number,state,person,note',
    },
    query: {
      dryRun: { schema: { type: 'boolean' }, description: 'check every row, import nothing' },
    },
    response: {
      status: 200,
      description:
        'Counts and one result per data row (imported or rejected, with line and field). ' +
        'A file that is not UTF-8, lacks the header or cannot be split is a 400 instead.',
      schema: OBJECT({
        valid: { type: 'integer' },
        imported: { type: 'integer' },
        rejected: { type: 'integer' },
        dryRun: { type: 'boolean' },
        results: { type: 'array', items: ANY },
      }),
    },
    errors: [400],
    handler: async (req, { engine }) => {
      const dryRun = req.query.dryRun === true;
      const outcome = await importNumbersCsv(engine, {
        bytes: new TextEncoder().encode(req.text ?? ''),
        file: 'request body',
        dryRun,
        actor: req.actor,
      });
      const results = [
        ...outcome.rows.map((r) => ({
          line: r.line,
          result: dryRun ? 'valid' : 'imported',
          pool: r.pool,
          number: r.value,
        })),
        ...outcome.problems.map((p) => ({ ...p, result: 'rejected' })),
      ].sort((a, b) => a.line - b.line);
      return {
        body: {
          valid: outcome.valid,
          imported: outcome.imported,
          rejected: outcome.problems.length,
          dryRun,
          results,
        },
      };
    },
  },
  reconcileRoute('get'),
  reconcileRoute('post'),
  {
    method: 'get',
    path: '/numbers/report',
    scope: 'read',
    tag: 'numbers',
    summary: 'Utilisation per pool, when each runs out at the hiring rate, and low stock',
    query: {
      windowDays: {
        schema: { type: 'integer', minimum: 1, maximum: 3650 },
        description: 'hiring rate over the last this many days (default 30)',
      },
      lowStockPercent: {
        schema: { type: 'integer', minimum: 1, maximum: 100 },
        description: 'flag pools with less than this percent free (default 10)',
      },
    },
    response: { status: 200, description: 'One report per pool', schema: ANY },
    errors: [400],
    handler: async (req, { engine }) => ({
      body: await poolReports(engine, {
        windowDays: (req.query.windowDays as number | undefined) ?? 30,
        lowStockPercent: (req.query.lowStockPercent as number | undefined) ?? 10,
      }),
    }),
  },
  {
    method: 'get',
    path: '/numbers/export',
    scope: 'read',
    tag: 'numbers',
    summary: 'The inventory as CSV, safe to open in a spreadsheet (formulas are neutralised)',
    query: {
      pool: { schema: { type: 'string' }, description: 'only this pool' },
      state: { schema: { type: 'string', enum: NUMBER_STATES }, description: 'only this state' },
    },
    response: {
      status: 200,
      description: 'RFC 4180 CSV; text cells a spreadsheet would run start with an apostrophe',
      schema: { type: 'string' },
      contentType: 'text/csv; charset=utf-8',
    },
    errors: [400],
    handler: async (req, { engine }) => {
      const { csv } = await exportNumbersCsv(engine, {
        pool: req.query.pool as string | undefined,
        state: req.query.state as NumberState | undefined,
      });
      const day = engine.clock().toISOString().slice(0, 10);
      const disposition = `attachment; filename="callsign-numbers-${day}.csv"`;
      return { body: csv, headers: { 'Content-Disposition': disposition } };
    },
  },
];

/** GET reads only; POST may adopt (hold for review), so it needs the write scope. */
function reconcileRoute(method: 'get' | 'post'): RouteDef {
  const write = method === 'post';
  return {
    method,
    path: '/numbers/reconcile',
    scope: write ? 'write' : 'read',
    tag: 'numbers',
    summary: write
      ? 'Reconcile, and with adopt hold numbers a platform uses that are free here'
      : "Compare the inventory with each platform's own numbers (changes nothing)",
    ...(write
      ? {
          body: OBJECT({
            adopt: { type: 'boolean', description: 'hold numbers free here for review' },
          }),
        }
      : {}),
    response: {
      status: 200,
      description: 'Unknown here, missing there, people with two numbers, and what was adopted',
      schema: OBJECT({
        unknownHere: { type: 'array', items: ANY },
        missingThere: { type: 'array', items: ANY },
        duplicates: { type: 'array', items: ANY },
        adopted: { type: 'array', items: { type: 'string' } },
      }),
    },
    errors: write ? [400, 502, 503] : [502, 503],
    handler: async (req, { engine, exclusive }) => {
      const adopt = req.body.adopt === true;
      const go = () => reconcileInventory(engine, { adopt, actor: req.actor });
      return { body: write && exclusive ? await exclusive(go) : await go() };
    },
  };
}
