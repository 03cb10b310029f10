#!/usr/bin/env node
// The README's test command. Installs the system packages the tests need when it can (root and
// apt-get), says plainly what it skipped when it cannot, and runs every test file with node's own
// test runner through tsx. With CI=true a missing package fails the run instead of skipping.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const ci = process.env.CI === 'true';

const deps = spawnSync('bash', [join(root, 'scripts/install-system-deps.sh')], {
  stdio: 'inherit',
});
if (deps.status !== 0) {
  if (ci) {
    console.error('test: system packages are missing and CI=true: failing the run');
    process.exit(1);
  }
  console.error('test: going on without them; tests that need them will say they skipped');
}

const only = process.argv.slice(2);
const files = only.length > 0 ? only : [...walk(join(root, 'src')), ...walk(join(root, 'test'))];
console.log(`test: ${files.length} test files`);

const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    // A test that never settles fails after this long instead of holding the run.
    '--test-timeout=180000',
    ...files.map((f) => relative(root, f)),
  ],
  // The whole suite takes a few minutes; past this something hangs, and CI should say so.
  { cwd: root, stdio: 'inherit', timeout: 30 * 60 * 1000, killSignal: 'SIGKILL' },
);
if (result.error) console.error(`test: ${result.error.message}`);
process.exit(result.status ?? 1);

function* walk(dir) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of entries.sort()) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else if (name.endsWith('.test.ts')) yield path;
  }
}
