/**
 * The slice of the AXL schema the emulator serves, written from Cisco's AXL developer guide and
 * schema reference (not copied from the XSD, which is Cisco confidential). Each operation lists
 * the elements it accepts; anything else is refused the way Unified CM refuses a request that
 * fails schema validation.
 */

/** An element's allowed children; `true` is a leaf; `'any'` accepts any leaves (returnedTags). */
export type ElementSpec = { [name: string]: ElementSpec | true | 'any' };

const USER_FIELDS: ElementSpec = {
  firstName: true,
  lastName: true,
  userid: true,
  mailid: true,
  telephoneNumber: true,
  associatedDevices: { device: true },
  presenceGroupName: true,
  primaryExtension: { pattern: true, routePartitionName: true },
  ipccExtension: true,
  ipccRoutePartition: true,
};
/** XCallForwardAll / Busy / NoAnswer: only the parts Callsign sets. */
const FORWARD: ElementSpec = {
  forwardToVoiceMail: true,
  callingSearchSpaceName: true,
  destination: true,
  duration: true,
};
const LINE_FIELDS: ElementSpec = {
  pattern: true,
  description: true,
  usage: true,
  routePartitionName: true,
  alertingName: true,
  asciiAlertingName: true,
  callForwardAll: FORWARD,
  callForwardBusy: FORWARD,
  callForwardNoAnswer: FORWARD,
};
const REMOTE_DESTINATION: ElementSpec = {
  name: true,
  destination: true,
  ownerUserId: true,
  enableMobileConnect: true,
  remoteDestinationProfileName: true,
  dualModeDeviceName: true,
};
const PHONE_LINE: ElementSpec = {
  line: { index: true, dirn: { pattern: true, routePartitionName: true } },
};
const PHONE_SCALARS: ElementSpec = {
  name: true,
  description: true,
  product: true,
  class: true,
  protocol: true,
  protocolSide: true,
  callingSearchSpaceName: true,
  devicePoolName: true,
  commonPhoneConfigName: true,
  locationName: true,
  phoneTemplateName: true,
  ownerUserName: true,
};
const LIST_PAGING: ElementSpec = { returnedTags: 'any', skip: true, first: true };

/** Operation name → accepted body. */
export const AXL_OPERATIONS: Record<string, ElementSpec> = {
  addUser: { user: USER_FIELDS },
  getUser: { userid: true, returnedTags: 'any' },
  updateUser: { ...USER_FIELDS },
  removeUser: { userid: true },
  listUser: { searchCriteria: { userid: true, lastName: true }, ...LIST_PAGING },
  addLine: { line: LINE_FIELDS },
  getLine: { pattern: true, routePartitionName: true, returnedTags: 'any' },
  updateLine: { ...LINE_FIELDS },
  removeLine: { pattern: true, routePartitionName: true },
  listLine: {
    searchCriteria: { pattern: true, description: true, routePartitionName: true },
    ...LIST_PAGING,
  },
  addPhone: { phone: { ...PHONE_SCALARS, lines: PHONE_LINE } },
  getPhone: { name: true, returnedTags: 'any' },
  updatePhone: { ...PHONE_SCALARS, removeLines: PHONE_LINE, addLines: PHONE_LINE },
  removePhone: { name: true },
  listPhone: { searchCriteria: { name: true, description: true }, ...LIST_PAGING },
  applyPhone: { name: true },
  addRemoteDestination: { remoteDestination: REMOTE_DESTINATION },
  getRemoteDestination: { destination: true, returnedTags: 'any' },
  updateRemoteDestination: { ...REMOTE_DESTINATION },
  removeRemoteDestination: { destination: true },
};

/**
 * Operations that change the database or a device (throttled, counted, droppable). applyPhone
 * goes through the same change queue as a write.
 */
export function isWrite(operation: string): boolean {
  return /^(add|update|remove|apply)/.test(operation);
}

/** Versions Unified CM serves AXL for; there was no 13. */
export const AXL_VERSIONS = ['11.0', '11.5', '12.0', '12.5', '14.0', '15.0'] as const;

/**
 * The first element not allowed by `spec`, as a path (`phone.colour`), or undefined. Parsed
 * nodes are fast-xml-parser objects: attributes start with `@_`, text is a string.
 */
export function unknownElement(node: unknown, spec: ElementSpec, path = ''): string | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  for (const [name, value] of Object.entries(node)) {
    if (name.startsWith('@_') || name === '#text') continue;
    const here = path === '' ? name : `${path}.${name}`;
    const allowed = spec[name];
    if (allowed === undefined) return here;
    if (allowed === true || allowed === 'any') {
      if (allowed === true && hasChildren(value)) return `${here}.${firstChild(value)}`;
      continue;
    }
    for (const item of Array.isArray(value) ? value : [value]) {
      const found = unknownElement(item, allowed, here);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function hasChildren(value: unknown): boolean {
  return firstChild(value) !== undefined;
}

function firstChild(value: unknown): string | undefined {
  const item = Array.isArray(value) ? value[0] : value;
  if (typeof item !== 'object' || item === null) return undefined;
  return Object.keys(item).find((k) => !k.startsWith('@_') && k !== '#text');
}
