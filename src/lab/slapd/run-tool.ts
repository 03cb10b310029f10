/** Runs an OpenLDAP tool (slapadd) to completion; its stderr goes into the error. */
import { execFile } from 'node:child_process';

export function runTool(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 120_000 }, (err, _stdout, stderr) => {
      if (err === null) resolve();
      else reject(new Error(`${file} ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
    });
  });
}
