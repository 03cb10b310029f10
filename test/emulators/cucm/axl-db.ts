/**
 * The emulator's database: users, lines and phones with Unified CM's uniqueness rules and
 * foreign keys. Failures are thrown as AxlFault with the codes Unified CM's Informix database
 * and the AXL layer use (-239, -691, -692, 5003, 5007), and messages in their style.
 */
import { randomUUID } from 'node:crypto';

export class AxlFault extends Error {
  constructor(
    readonly axlCode: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** A directory number a user field points at. */
export interface EmuDirn {
  pattern: string;
  partition: string;
}
export interface EmuUser {
  uuid: string;
  fields: Record<string, string>;
  associatedDevices: string[];
  primaryExtension?: EmuDirn;
  ipccExtension?: EmuDirn;
}
export interface EmuLine {
  uuid: string;
  fields: Record<string, string>;
  /** `callForwardAll` → destination; absent or '' is no forward. */
  forwards?: Record<string, string>;
  /** `callForwardAll` → the calling search space the forward is placed with; '' none. */
  forwardCss?: Record<string, string>;
}
export interface EmuRemoteDestination {
  uuid: string;
  /** destination, ownerUserId, name, enableMobileConnect, dualModeDeviceName or RDP name. */
  fields: Record<string, string>;
}
export interface EmuPhoneLine {
  index: string;
  pattern: string;
  partition: string;
}
export interface EmuPhone {
  uuid: string;
  fields: Record<string, string>;
  lines: EmuPhoneLine[];
}

/** Named items phones and lines refer to, by the field that names them. */
export type ReferenceTables = Record<string, Set<string>>;

export function defaultReferences(): ReferenceTables {
  return {
    devicePoolName: new Set(['Default']),
    routePartitionName: new Set(['Internal_PT']),
    callingSearchSpaceName: new Set(['Internal_CSS']),
    phoneTemplateName: new Set(['Standard 8861 SIP']),
    locationName: new Set(['Hub_None']),
    commonPhoneConfigName: new Set(['Standard Common Phone Profile']),
    presenceGroupName: new Set(['Standard Presence group']),
  };
}

/** Informix constraint names, so a client can tell which reference was missing. */
const CONSTRAINTS: Record<string, string> = {
  devicePoolName: 'fk_device_fkdevicepool',
  routePartitionName: 'fk_numplan_fkroutepartition',
  callingSearchSpaceName: 'fk_device_fkcallingsearchspace',
  phoneTemplateName: 'fk_device_fkphonetemplate',
  locationName: 'fk_device_fklocation',
  commonPhoneConfigName: 'fk_device_fkcommonphoneconfig',
  presenceGroupName: 'fk_enduser_fkpresencegroup',
  ownerUserName: 'fk_device_fkenduser_owner',
  ownerUserId: 'fk_remotedestination_fkenduser',
  dualModeDeviceName: 'fk_remotedestination_fkdevice',
  remoteDestinationProfileName: 'fk_remotedestination_fkdevice',
  device: 'fk_enduserdevicemap_fkdevice',
  line: 'fk_devicenumplanmap_fknumplan',
};

export class AxlDb {
  readonly users = new Map<string, EmuUser>();
  /** Keyed `pattern` + NUL + partition. */
  readonly lines = new Map<string, EmuLine>();
  readonly phones = new Map<string, EmuPhone>();
  /** Keyed by destination number: unique across the cluster. */
  readonly remoteDestinations = new Map<string, EmuRemoteDestination>();
  /** applyPhone calls per device name. */
  readonly applied = new Map<string, number>();
  /**
   * When true, a primary or IPCC extension must be a line on one of the user's associated
   * devices. Off by default: whether AXL itself enforces this was not confirmed (the
   * administration pages only offer such lines), so the emulator stays permissive.
   */
  strictExtensions = false;
  readonly references: ReferenceTables;

  constructor(references: ReferenceTables = defaultReferences()) {
    this.references = references;
  }

  /** Throws -691 unless `value` names an existing item of `field`. */
  requireReference(field: string, value: string | undefined): void {
    if (value === undefined || value === '') return;
    const exists =
      field === 'ownerUserName' || field === 'ownerUserId'
        ? this.users.has(value)
        : ['device', 'dualModeDeviceName', 'remoteDestinationProfileName'].includes(field)
          ? this.phones.has(value)
          : (this.references[field]?.has(value) ?? true);
    if (!exists) throw missingKey(field);
  }

  requireLine(pattern: string, partition: string): EmuLine {
    const line = this.lines.get(lineKey(pattern, partition));
    if (line === undefined) throw missingKey('line');
    return line;
  }

  /** Phones whose lines include this directory number. */
  phonesOnLine(pattern: string, partition: string): EmuPhone[] {
    return [...this.phones.values()].filter((p) =>
      p.lines.some((l) => l.pattern === pattern && l.partition === partition),
    );
  }

  /** What removing a phone does to end users: the association goes with it. */
  dropDevice(name: string): void {
    for (const user of this.users.values()) {
      user.associatedDevices = user.associatedDevices.filter((d) => d !== name);
    }
    this.applied.delete(name);
  }

  /**
   * Checks a user's primary or IPCC extension: the line must exist (-691); with
   * `strictExtensions`, it must also be on one of the user's associated devices (-691 too).
   */
  requireExtension(user: EmuUser, dirn: EmuDirn): void {
    this.requireLine(dirn.pattern, dirn.partition);
    if (!this.strictExtensions) return;
    const onDevice = user.associatedDevices.some((name) =>
      this.phones
        .get(name)
        ?.lines.some((l) => l.pattern === dirn.pattern && l.partition === dirn.partition),
    );
    if (!onDevice) throw missingKey('line');
  }
}

export function lineKey(pattern: string, partition: string): string {
  return `${pattern}\u0000${partition}`;
}

export function newUuid(): string {
  return `{${randomUUID().toUpperCase()}}`;
}

export function duplicate(index: string): AxlFault {
  return new AxlFault(
    -239,
    `Could not insert new row - duplicate value in a UNIQUE INDEX column (Unique Index:${index}).`,
  );
}

export function missingKey(field: string): AxlFault {
  const constraint = CONSTRAINTS[field] ?? `fk_${field.toLowerCase()}`;
  return new AxlFault(
    -691,
    `Missing key in referenced table for referential constraint (informix.${constraint}).`,
  );
}

export function stillReferenced(constraint: string): AxlFault {
  return new AxlFault(
    -692,
    `Key value for constraint (informix.${constraint}) is still being referenced.`,
  );
}

/** 5007 for get and remove, 5003 for update, as the AXL guide lists them. */
export function notFound(kind: string, update: boolean): AxlFault {
  return new AxlFault(update ? 5003 : 5007, `Item not valid: The specified ${kind} was not found`);
}
