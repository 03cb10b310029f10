/**
 * Runs the CLI in-process for tests, capturing what it prints. stdout and stderr are swapped
 * for the call only, so tests in one file must not run CLI calls concurrently.
 */
import { main } from '../main.ts';

export interface CliResult {
  code: number;
  out: string[];
  err: string[];
}

/** `callsign ARGS -c CONFIG`, with output split into lines. */
export async function runCli(config: string, ...args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const writes = { out: process.stdout.write, err: process.stderr.write };
  // The test runner's own reports (objects, not text) still go to the real stream.
  process.stdout.write = ((s: unknown, ...rest: never[]) =>
    typeof s === 'string'
      ? out.push(...lines(s)) > -1
      : writes.out.call(process.stdout, s as string, ...rest)) as typeof writes.out;
  process.stderr.write = ((s: unknown, ...rest: never[]) =>
    typeof s === 'string'
      ? err.push(...lines(s)) > -1
      : writes.err.call(process.stderr, s as string, ...rest)) as typeof writes.err;
  try {
    const code = await main(['node', 'callsign', ...args, '-c', config]);
    return { code, out, err };
  } finally {
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
  }
}

function lines(s: string): string[] {
  return s.replace(/\n$/, '').split('\n');
}
