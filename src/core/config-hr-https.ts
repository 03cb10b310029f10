/**
 * Validation of `type: hr-https` sources: an HR export read over HTTPS instead of from a drop
 * folder, either a Workday custom report served as a web service (RaaS) or a PeopleSoft query
 * run through Query Access Services (ExecuteQuery, JSON). The field mapping (columns, status,
 * dates...) is the one of `hr-file` and is read by the same code.
 */
import { isAbsolute, resolve } from 'node:path';

import type { MapView } from './config-reader.ts';
import { HR_FILE_KEYS, readHrFile } from './config-hr.ts';
import type { HrFileSourceConfig, SecretRef } from './config-types.ts';
import { anchorSecretRef, secretRefKind } from './secrets.ts';

export const HR_FEEDS = ['workday-raas', 'peoplesoft-qas'] as const;
export type HrFeed = (typeof HR_FEEDS)[number];

/** The mapping of an HR export, without where the file lies. */
export type HrMapping = Omit<
  HrFileSourceConfig,
  'type' | 'path' | 'format' | 'writeBack' | 'workday'
>;

export interface HrHttpsSourceConfig extends HrMapping {
  type: 'hr-https';
  feed: HrFeed;
  /**
   * workday-raas: `https://HOST/ccx/service/customreport2/TENANT/OWNER/REPORT`;
   * peoplesoft-qas: `https://HOST/PSIGW/RESTListeningConnector/NODE/ExecuteQuery.v1`.
   */
  url: string;
  /** workday-raas only: what the report is asked as (`?format=`); default json. */
  format: 'csv' | 'json';
  /** peoplesoft-qas only: the query's name and owner type (PUBLIC or PRIVATE). */
  query?: string;
  owner?: 'PUBLIC' | 'PRIVATE';
  /** peoplesoft-qas only: more rows than this makes the read incomplete; default 100000. */
  maxRows: number;
  username: string;
  password: SecretRef;
  /** PEM file of the CA that signed the server's certificate (absolute after validation). */
  tlsCa?: string;
  /** Longest silence while connecting or reading the body; default 60000. */
  timeoutMs: number;
}

const FEED_KEYS = [
  'feed',
  'url',
  'query',
  'owner',
  'maxRows',
  'username',
  'password',
  'tlsCa',
  'timeoutMs',
] as const;

/** Keys of an hr-https source: the hr-file mapping (no path, no write-back) and the feed. */
export const HR_HTTPS_KEYS = [
  ...HR_FILE_KEYS.filter((k) => !['path', 'writeBack', 'workday'].includes(k)),
  ...FEED_KEYS,
] as const;

/** What a source reader needs from the rest of the file; `name` is checked by the caller. */
type ReadOptions = { name: string | undefined; baseDir: string; correlation: string[] };

const RAAS_URL = /^https:\/\/[^/]+\/ccx\/service\/customreport2\/[^/?]+\/[^/?]+\/[^/?]+$/;
const QAS_URL = /^https:\/\/[^/]+\/PSIGW\/RESTListeningConnector\/[^/?]+\/ExecuteQuery\.v1$/;

/** Reads one hr-https source; `name` has been checked for uniqueness by the caller. */
export function readHrHttps(view: MapView, options: ReadOptions): HrHttpsSourceConfig {
  const mapping = readHrMapping(view, options);
  const feed = view.str('feed', { required: true }) ?? '';
  if (feed !== '' && !(HR_FEEDS as readonly string[]).includes(feed)) {
    view.problem('feed', `must be ${HR_FEEDS.join(' or ')}, not ${JSON.stringify(feed)}`);
  }
  const url = (view.str('url', { required: true }) ?? '').replace(/\/+$/, '');
  if (url !== '' && feed === 'workday-raas' && !RAAS_URL.test(url)) {
    view.problem('url', 'must be https://HOST/ccx/service/customreport2/TENANT/OWNER/REPORT');
  }
  if (url !== '' && feed === 'peoplesoft-qas' && !QAS_URL.test(url)) {
    view.problem('url', 'must be https://HOST/PSIGW/RESTListeningConnector/NODE/ExecuteQuery.v1');
  }
  const format = view.str('format') ?? 'json';
  if (format !== 'csv' && format !== 'json') {
    view.problem('format', `must be csv or json, not ${JSON.stringify(format)}`);
  }
  if (feed === 'peoplesoft-qas' && format !== 'json') {
    view.problem('format', 'a PeopleSoft query is read as JSON only');
  }
  const password = view.str('password', { required: true }) ?? '';
  if (password !== '' && secretRefKind(password) === undefined) {
    view.problem('password', 'inline secrets are not allowed; use env:NAME or file:PATH');
  }
  const source: HrHttpsSourceConfig = {
    ...mapping,
    type: 'hr-https',
    feed: feed as HrFeed,
    url,
    format: format === 'csv' ? 'csv' : 'json',
    maxRows: view.num('maxRows', { default: 100_000, min: 1, integer: true }),
    username: view.str('username', { required: true }) ?? '',
    password: password === '' ? '' : anchorSecretRef(password, options.baseDir),
    timeoutMs: view.num('timeoutMs', { default: 60_000, min: 100, integer: true }),
  };
  if (feed === 'peoplesoft-qas') {
    source.query = view.str('query', { required: true }) ?? '';
    const owner = (view.str('owner') ?? 'PUBLIC').toUpperCase();
    if (owner !== 'PUBLIC' && owner !== 'PRIVATE') {
      view.problem('owner', `must be PUBLIC or PRIVATE, not ${JSON.stringify(owner)}`);
    }
    source.owner = owner === 'PRIVATE' ? 'PRIVATE' : 'PUBLIC';
  } else if (view.has('query')) view.problem('query', 'is for feed peoplesoft-qas only');
  const ca = view.str('tlsCa');
  if (ca !== undefined) source.tlsCa = isAbsolute(ca) ? ca : resolve(options.baseDir, ca);
  return source;
}

/**
 * `type: hr-push`: the HR system calls Callsign (POST /api/v1/hr/{source}/workers) with
 * workers in the hr-file mapping's column names; the latest accepted row of each worker is kept
 * and a reconciliation reads them like an export.
 */
export interface HrPushSourceConfig extends HrMapping {
  type: 'hr-push';
}

export const HR_PUSH_KEYS = HR_FILE_KEYS.filter(
  (k) => !['path', 'format', 'writeBack', 'workday'].includes(k),
);

/** Reads one hr-push source; `name` has been checked for uniqueness by the caller. */
export function readHrPush(view: MapView, options: ReadOptions): HrPushSourceConfig {
  return { ...readHrMapping(view, options), type: 'hr-push' };
}

/** The hr-file mapping of a source that has no file: the sections, without path or format. */
function readHrMapping(view: MapView, options: ReadOptions): HrMapping {
  const {
    type: _t,
    path: _p,
    format: _f,
    writeBack: _w,
    workday: _wd,
    ...mapping
  } = readHrFile(view, { ...options, pathless: true });
  return mapping;
}
