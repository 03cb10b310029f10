/**
 * A line already on another user's phone. Unified CM accepts it (the line becomes a shared
 * line, and both phones ring), so an addPhone or updatePhone that puts a number held by someone
 * else on a person's phone would succeed silently: a number the inventory thought free, or a
 * profile's mistake, would let one person answer another's calls. Before a line goes on a
 * phone, getLine's `associatedDevices` names the phones it is on; one owned by another user
 * fails the operation with both named, and nothing is written. A profile that means to share
 * (a manager's line on an assistant's phone) says so on the phone: `sharedLines: 'true'`.
 */
import { CallsignError, ErrorCode } from '../../core/errors.ts';
import { child, list, textOf } from './axl-xml.ts';
import { type CucmContext, formatDirn, getOrNull } from './cucm-context.ts';

export interface PhoneLineRef {
  index: string;
  pattern: string;
  partition: string;
}

/** Throws `duplicate` when a line is on a phone whose owner is not `owner`. */
export async function refuseSharedLines(
  ctx: CucmContext,
  phone: string,
  owner: string,
  lines: PhoneLineRef[],
): Promise<void> {
  for (const line of lines) {
    const dirn = formatDirn(line);
    const body = {
      pattern: line.pattern,
      routePartitionName: line.partition,
      returnedTags: { associatedDevices: { device: '' } },
    };
    // A line that does not exist holds no phone; addPhone then names it as missing.
    const answer = await getOrNull(() =>
      ctx.axl.call('getLine', body, { subject: `line ${dirn}` }),
    );
    const found = child(child(answer ?? {}, 'return'), 'line');
    const devices = list(child(found, 'associatedDevices'), 'device')
      .map((d) => textOf(d) ?? '')
      .filter((d) => d !== '' && d !== phone);
    for (const device of devices) {
      const holder = await ownerOf(ctx, device);
      if (holder === '' || holder === owner) continue;
      const msg =
        `Unified CM '${ctx.target}' phone '${phone}': line${line.index} ${dirn} is already on ` +
        `phone ${device} of user ${holder}; set sharedLines: 'true' on the phone to share it`;
      throw new CallsignError(ErrorCode.Duplicate, msg, {
        retryable: false,
        details: {
          target: ctx.target,
          key: phone,
          field: `line${line.index}`,
          line: dirn,
          device,
          owner: holder,
        },
      });
    }
  }
}

async function ownerOf(ctx: CucmContext, device: string): Promise<string> {
  const body = { name: device, returnedTags: { ownerUserName: '' } };
  const answer = await getOrNull(() =>
    ctx.axl.call('getPhone', body, { subject: `phone ${device}` }),
  );
  return textOf(child(child(answer ?? {}, 'return'), 'phone')?.ownerUserName) ?? '';
}
