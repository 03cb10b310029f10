#!/usr/bin/env node
// The README's first command: installs what it can (npm packages; with root, the Debian
// packages), says plainly what it lacks, then runs the main job end to end on real servers.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit' }).status ?? 1;

if (!existsSync(join(root, 'node_modules', 'tsx'))) {
  console.log('demo: installing npm packages (npm ci)');
  if (run('npm', ['ci', '--no-audit', '--no-fund']) !== 0) {
    console.error('demo: npm ci failed; see above');
    process.exit(1);
  }
}

if (run('bash', [join(root, 'scripts/install-system-deps.sh')]) !== 0) {
  console.error('demo: the real servers the demo starts are not installed (see above); stopping');
  process.exit(1);
}

process.exit(run(process.execPath, ['--import', 'tsx', join(root, 'src/lab/demo.ts'), ...process.argv.slice(2)]));
