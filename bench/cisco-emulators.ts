/**
 * The Cisco benchmark's emulators, in a child process of their own: Unified CM (AXL) and Unity
 * Connection (CUPI), each with latency, Unified CM with its write limit. A real server does not
 * share Callsign's event loop; here the emulators do not either, so a pause in Callsign's
 * process (a database commit, garbage collection) cannot make writes look bunched on arrival.
 * Messages: it posts `{ axlUrl, cupiUrl }` once listening; `stats` answers with what the AXL
 * emulator saw; `stop` stops both and ends the process.
 */
import { CucEmulator } from '../test/emulators/cuc/cuc-emulator.ts';
import { CucmEmulator } from '../test/emulators/cucm/cucm-emulator.ts';

export interface EmulatorSettings {
  latencyMs: number;
  writeLimitPerSecond: number;
}

export interface AxlStats {
  /** Write requests answered 200 / refused 503; read requests. */
  writesDone: number;
  writesThrottled: number;
  reads: number;
  maxWritesInOneSecond: number;
  phones: number;
}

const settings = JSON.parse(process.argv[2] ?? '{}') as EmulatorSettings;
const send = (message: unknown) => process.send!(message);
const cucm = new CucmEmulator();
const cuc = new CucEmulator();
cucm.latencyMs = settings.latencyMs;
cuc.latencyMs = settings.latencyMs;
cucm.writeLimitPerSecond = settings.writeLimitPerSecond;
const [axlUrl, cupiUrl] = await Promise.all([cucm.start(), cuc.start()]);
send({ axlUrl, cupiUrl });

process.on('message', async (message: string) => {
  if (message === 'stats') {
    const seen = cucm.requests.filter((r) => r.operation !== '');
    const writes = seen.filter((r) => /^(add|update|remove|apply)/.test(r.operation));
    const stats: AxlStats = {
      writesDone: writes.filter((r) => r.status === 200).length,
      writesThrottled: writes.filter((r) => r.status === 503).length,
      reads: seen.length - writes.length,
      maxWritesInOneSecond: cucm.maxWritesInWindow(1000),
      phones: cucm.db.phones.size,
    };
    send(stats);
  } else if (message === 'stop') {
    await Promise.all([cucm.stop(), cuc.stop()]);
    process.disconnect();
  }
});
