/**
 * AXL operations beyond users, lines and phones: remote destinations (single number reach)
 * and applyPhone. A remote destination is keyed by its destination number, unique across the
 * cluster; it hangs off a dual-mode device (CSF, BOT…) or a remote destination profile, both
 * devices, and belongs to an end user.
 */
import { type AxlDb, AxlFault, duplicate, newUuid, notFound } from './axl-db.ts';
import { node, pick, required, returned, text } from './axl-ops.ts';

type Node = Record<string, unknown>;
type Handler = (db: AxlDb, body: Node) => unknown;

const RD_FIELDS = [
  'name',
  'destination',
  'ownerUserId',
  'enableMobileConnect',
  'remoteDestinationProfileName',
  'dualModeDeviceName',
];
const RD_REFS = ['ownerUserId', 'remoteDestinationProfileName', 'dualModeDeviceName'];

export const MOBILITY_HANDLERS: Record<string, Handler> = {
  addRemoteDestination(db, body) {
    const rd = node(body.remoteDestination);
    const destination = required(rd, 'destination');
    required(rd, 'ownerUserId');
    const devices = ['dualModeDeviceName', 'remoteDestinationProfileName'].filter(
      (f) => text(rd[f]) !== '',
    );
    if (devices.length !== 1) {
      // The schema's choice: exactly one of the two anchors.
      const msg = 'exactly one of dualModeDeviceName and remoteDestinationProfileName is required';
      throw new AxlFault(undefined, msg);
    }
    if (db.remoteDestinations.has(destination)) throw duplicate('remotedestination_destination');
    for (const field of RD_REFS) db.requireReference(field, text(rd[field]));
    const uuid = newUuid();
    const fields: Record<string, string> = {
      enableMobileConnect: 'true',
      ...pick(rd, RD_FIELDS),
    };
    if (fields.name === undefined) fields.name = destination;
    db.remoteDestinations.set(destination, { uuid, fields });
    return uuid;
  },
  getRemoteDestination(db, body) {
    const rd = db.remoteDestinations.get(required(body, 'destination'));
    if (rd === undefined) throw notFound('Remote Destination', false);
    return { remoteDestination: { '@_uuid': rd.uuid, ...returned(rd.fields, body.returnedTags) } };
  },
  updateRemoteDestination(db, body) {
    const rd = db.remoteDestinations.get(required(body, 'destination'));
    if (rd === undefined) throw notFound('Remote Destination', true);
    for (const field of RD_REFS) db.requireReference(field, text(body[field]));
    Object.assign(
      rd.fields,
      pick(
        body,
        RD_FIELDS.filter((f) => f !== 'destination'),
      ),
    );
    return rd.uuid;
  },
  removeRemoteDestination(db, body) {
    const destination = required(body, 'destination');
    const rd = db.remoteDestinations.get(destination);
    if (rd === undefined) throw notFound('Remote Destination', false);
    db.remoteDestinations.delete(destination);
    return rd.uuid;
  },
  /** Counts the apply per device: that is what a test can see of a phone taking changes. */
  applyPhone(db, body) {
    const name = required(body, 'name');
    const phone = db.phones.get(name);
    if (phone === undefined) throw notFound('Phone', false);
    db.applied.set(name, (db.applied.get(name) ?? 0) + 1);
    return phone.uuid;
  },
};
