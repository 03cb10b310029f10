/**
 * The discovery endpoints (RFC 7644 §4): what the service supports, its resource types and
 * schemas with attribute definitions, so clients such as Entra can read the telecom extension.
 */
import { MAX_RESULTS } from './list-query.ts';
import {
  ALL_SCHEMAS,
  GROUP_KIND,
  type ResourceKind,
  SCHEMA,
  type SchemaDef,
  USER_KIND,
} from './schemas.ts';

/** GET /ServiceProviderConfig. */
export function serviceProviderConfig(baseUrl: string) {
  return {
    schemas: [SCHEMA.ServiceProviderConfig],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'Bearer token',
        primary: true,
        description: 'A Callsign API token (scope read for GET, write for changes)',
      },
    ],
    meta: {
      resourceType: 'ServiceProviderConfig',
      location: `${baseUrl}/ServiceProviderConfig`,
    },
  };
}

/** Every resource type, or undefined for an unknown name. */
export function resourceTypes(baseUrl: string, name?: string) {
  const all = [USER_KIND, GROUP_KIND].map((k) => resourceType(k, baseUrl));
  return name === undefined ? all : all.find((t) => t.id.toLowerCase() === name.toLowerCase());
}

/** Every schema, or undefined for an unknown URN. */
export function schemas(baseUrl: string, id?: string) {
  const all = ALL_SCHEMAS.map((s) => schemaResource(s, baseUrl));
  return id === undefined ? all : all.find((s) => s.id.toLowerCase() === id.toLowerCase());
}

function resourceType(kind: ResourceKind, baseUrl: string) {
  return {
    schemas: [SCHEMA.ResourceType],
    id: kind.name,
    name: kind.name,
    endpoint: kind.endpoint,
    description: kind.name === 'User' ? 'User Account' : 'Group',
    schema: kind.core.id,
    schemaExtensions: kind.extensions.map((e) => ({ schema: e.id, required: false })),
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/${kind.name}` },
  };
}

function schemaResource(s: SchemaDef, baseUrl: string) {
  return {
    schemas: [SCHEMA.Schema],
    id: s.id,
    name: s.name,
    description: s.description,
    // RFC 7643 §8.7.1 lists only each schema's own attributes, not id, externalId or meta.
    attributes: s.attributes,
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${s.id}` },
  };
}
