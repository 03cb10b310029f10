/**
 * Shared setup for the Unified CM connector tests against the AXL emulator: the target config
 * they all start from and the reset between tests.
 */
import type { CucmEmulator } from '../../../../test/emulators/cucm/cucm-emulator.ts';
import type { CucmTargetConfig } from '../../../core/config-types.ts';

/** A target config for the emulator at this URL; overrides win. */
export function cucmConfig(url: string, over: Partial<CucmTargetConfig> = {}): CucmTargetConfig {
  return {
    name: 'cucm1',
    type: 'cucm',
    url,
    version: '14.0',
    username: 'axladmin',
    password: 'env:CUCM_PASSWORD',
    concurrency: 2,
    ...over,
  };
}

/** Empties the emulator's users, lines and phones and forgets the requests it has seen. */
export function resetCucm(emu: CucmEmulator): void {
  emu.db.users.clear();
  emu.db.lines.clear();
  emu.db.phones.clear();
  emu.requests.length = 0;
}
