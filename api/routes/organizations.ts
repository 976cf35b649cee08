import type { FastifyInstance } from 'fastify';
import type { ResourceQuery } from '../../core/ports/index.js';
import { entityRoutes, regionSchema, tokenSchema } from './resource-common.js';

/**
 * `GET /v1/organizations` and `GET /v1/organizations/{id}`: the parties of the response
 * (ministry services, crisis authorities, NGOs, UN agencies, the Red Crescent, suppliers,
 * carriers), which requests, shipments and movements reference as `Organization/<id>`.
 */
export async function organizationRoutes(app: FastifyInstance, opts: { resources: ResourceQuery }): Promise<void> {
  await entityRoutes(app, opts.resources, {
    kind: 'Organization',
    path: '/v1/organizations',
    tag: 'organizations',
    plural: 'organizations',
    singular: 'organization',
    filters: {
      kind: {
        type: 'string',
        enum: [
          'ministry-service',
          'crisis-authority',
          'ngo',
          'un-agency',
          'red-crescent',
          'supplier',
          'carrier',
          'other',
        ],
      },
      region: regionSchema,
      parent: tokenSchema,
      acronym: tokenSchema,
    },
    sorts: ['name', 'kind'],
    scopeNote:
      'Organizations are reference data: every caller sees all of them (a party of one region is named in the requests and shipments of others).',
  });
}
