import type { FastifyInstance } from 'fastify';
import type { ResourceQuery } from '../../core/ports/index.js';
import { entityRoutes, gtinSchema, tokenSchema } from './resource-common.js';

/** `GET /v1/products` and `GET /v1/products/{id}`: the catalogue (reference data of every region). */
export async function productRoutes(app: FastifyInstance, opts: { resources: ResourceQuery }): Promise<void> {
  await entityRoutes(app, opts.resources, {
    kind: 'Product',
    path: '/v1/products',
    tag: 'products',
    plural: 'products',
    singular: 'product',
    filters: {
      category: { type: 'string', pattern: '^[a-z][a-z-]{1,31}$' },
      gtin: gtinSchema,
      sku: tokenSchema,
      criticality: tokenSchema,
      storageClass: tokenSchema,
    },
    sorts: ['name', 'category'],
    scopeNote: 'Products are reference data: every caller sees all of them.',
  });
}
