/**
 * HR export throughput: a Workday-like CSV export of N workers written to a drop folder, then
 * read, validated and planned by `reconcile` in plan mode (the engine's own path: streamed
 * parse, per-row checks, correlation, rules, plans) on a SQLite store. Each size runs in its own
 * process so its peak memory is its own; the figures show how memory grows with the file.
 * Target (issue 7): rows per second and peak memory printed; memory flat as the file grows.
 * Run alone with `node --import tsx bench/hr.ts [rows...]`.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface HrBenchFigure {
  rows: number;
  fileMb: number;
  readSeconds: number;
  rowsPerSecond: number;
  planned: number;
  problems: number;
  peakRssMb: number;
  /** Peak RSS once the engine is open (modules loaded, the pool of 2 numbers a row synced). */
  openRssMb: number;
  /** Heap in use after the run, with the report (every plan) still held. */
  heapAfterMb: number;
}

const HEADER = 'Worker ID,Status,Type,Email,Name,Site,Department,Hire Date,Termination Date,Phone';
const SITES = ['nyc', 'lon', 'sfo', 'par'];

/** Runs each size in a child process and returns their figures, smallest first. */
export async function benchHr(sizes = [25_000, 50_000, 100_000]): Promise<HrBenchFigure[]> {
  const self = fileURLToPath(import.meta.url);
  return sizes.map((rows) => {
    const args = ['--expose-gc', '--import', 'tsx', self, '--child', String(rows)];
    const out = execFileSync(process.execPath, args, {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    return JSON.parse(out.trim().split('\n').at(-1)!) as HrBenchFigure;
  });
}

async function child(rows: number): Promise<HrBenchFigure> {
  const [{ default: pino }, { parseConfig }, { openEngine }, { reconcile }] = await Promise.all([
    import('pino'),
    import('../src/core/config.ts'),
    import('../src/engine/engine.ts'),
    import('../src/engine/reconcile.ts'),
  ]);
  const dir = await mkdtemp(join(tmpdir(), 'callsign-bench-hr-'));
  try {
    await mkdir(join(dir, 'drop'));
    const file = join(dir, 'drop', 'workers.csv');
    await writeExport(file, rows);
    const configFile = join(dir, 'callsign.yaml');
    await writeFile(configFile, configText(rows));
    const config = parseConfig(configText(rows), configFile);
    const log = pino({ level: 'silent' });
    const engine = await openEngine(config, { log, actor: 'bench', connectors: true });
    try {
      const openRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
      const started = performance.now();
      const mode = process.env.HR_BENCH_MODE === 'sync' ? 'sync' : 'plan';
      const report = await reconcile(engine, { mode, actor: 'bench', execute: false });
      const readSeconds = (performance.now() - started) / 1000;
      const planned = report.plans.filter((p) => p.operations.length > 0).length;
      if (planned < rows / 2) {
        throw new Error(`benchmark input is wrong: ${planned} of ${rows} rows planned`);
      }
      return {
        rows,
        fileMb: +((await stat(file)).size / 1e6).toFixed(1),
        readSeconds: +readSeconds.toFixed(2),
        rowsPerSecond: Math.round(rows / readSeconds),
        planned,
        problems: report.problems.length,
        peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
        openRssMb,
        heapAfterMb: Math.round(heapAfterRun() / 1e6),
      };
    } finally {
      await engine.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Heap in use, after a full collection when node runs with --expose-gc. */
function heapAfterRun(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

/** A realistic export: one row in 500 has a date in the wrong format (reported, not fatal). */
async function writeExport(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  const write = (line: string) =>
    out.write(line) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', r));
  await write(`${HEADER}\r\n`);
  for (let i = 0; i < rows; i++) {
    const id = `W${String(i).padStart(7, '0')}`;
    const type = i % 9 === 0 ? 'Contractor' : 'Regular';
    const hire = i % 500 === 7 ? '03/02/2019' : `20${10 + (i % 14)}-0${1 + (i % 9)}-1${i % 10}`;
    const status = i % 40 === 0 ? 'Terminated' : 'Active';
    const end = status === 'Terminated' ? '2024-01-31' : '';
    const site = SITES[i % SITES.length];
    const name = `"Worker ${i}, Jr."`;
    const phone = `+1 212 555 ${String(i % 10_000).padStart(4, '0')}`;
    const row = [id, status, type, `w${i}@example.com`, name, site, `D${i % 30}`, hire, end, phone];
    await write(`${row.join(',')}\r\n`);
  }
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
}

function configText(rows: number): string {
  const size = Math.max(rows * 2, 10_000);
  return `
store: sqlite:./callsign.db
secretKey: file:./secret.key
correlation: [mail]
sources:
  - name: hr
    type: hr-file
    path: ./drop
    columns:
      { workerId: Worker ID, mail: Email, displayName: Name, site: Site, department: Department }
    keys: { personKey: Email }
    status: { column: Status, active: [Active], leave: [Leave], terminated: [Terminated] }
    dates: { hire: Hire Date, termination: Termination Date, format: YYYY-MM-DD }
    workerType: { column: Type, map: { Regular: employee, Contractor: contractor } }
    phone: { column: Phone }
    provisionDaysBeforeStart: 3
targets:
  - { name: pbx, type: "null" }
pools:
  ext: { kind: extension, range: { start: '${10_000_000}', end: '${10_000_000 + size - 1}' } }
profiles:
  phone:
    resources:
      - target: pbx
        type: sip-subscriber
        key: '{{numbers.extension}}'
        attributes: { displayName: '{{person.displayName}}', site: '{{person.site}}' }
rules:
  - name: staff
    when: person.workerType == "employee" || person.workerType == "contractor"
    profile: phone
    numbers: { extension: ext }
`;
}

if (process.argv[2] === '--child') {
  console.log(JSON.stringify(await child(Number(process.argv[3]))));
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const sizes = process.argv.slice(2).map(Number);
  for (const f of await benchHr(sizes.length > 0 ? sizes : undefined)) console.log(f);
}
