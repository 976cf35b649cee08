import type { FastifyInstance } from 'fastify';
import { HubError } from '../../core/errors/index.js';
import { problemSchema } from '../problems.js';

/** A run as the connector runtime reports it (`RunReport` in connectors/sdk/runtime.ts). */
export interface ConnectorRunView {
  readonly startedAt: string;
  readonly endedAt: string;
  readonly status: 'succeeded' | 'failed' | 'aborted';
  readonly recordsIn: number;
  readonly recordsOut: number;
  readonly deadLettered: number;
  readonly checkpoints: number;
  readonly retries: number;
  readonly error?: { readonly code: string; readonly kind: string; readonly message: string };
}

/** A connector as `GET /v1/connectors` shows it. */
export interface ConnectorView {
  readonly name: string;
  /** `push`: partners POST documents to it; `pull`: the hub reads its source. */
  readonly forms: readonly ('push' | 'pull')[];
  readonly running: boolean;
  /** Runs since this process started. */
  readonly runs: number;
  /** Failed runs plus transient errors retried, since this process started. */
  readonly errorCount: number;
  readonly lastRun?: ConnectorRunView;
  /** Newest first, bounded. */
  readonly recentRuns: readonly ConnectorRunView[];
  readonly lastCommitAt?: string;
  /** Seconds since `lastCommitAt`. */
  readonly lagSeconds?: number;
}

/** Gives the connectors' status; the composition root builds it from the connector runtime. */
export type ConnectorStatusSource = () => readonly ConnectorView[] | Promise<readonly ConnectorView[]>;

const runSchema = {
  type: 'object',
  required: ['startedAt', 'endedAt', 'status', 'recordsIn', 'recordsOut', 'deadLettered'],
  properties: {
    startedAt: { type: 'string', format: 'date-time' },
    endedAt: { type: 'string', format: 'date-time' },
    status: { enum: ['succeeded', 'failed', 'aborted'] },
    recordsIn: { type: 'integer' },
    recordsOut: { type: 'integer' },
    deadLettered: { type: 'integer' },
    checkpoints: { type: 'integer' },
    retries: { type: 'integer' },
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, kind: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;

const connectorSchema = {
  type: 'object',
  required: ['name', 'forms', 'running', 'runs', 'errorCount', 'recentRuns'],
  properties: {
    name: { type: 'string' },
    forms: { type: 'array', items: { enum: ['push', 'pull'] } },
    running: { type: 'boolean' },
    runs: { type: 'integer', description: 'Runs since the hub process started.' },
    errorCount: { type: 'integer', description: 'Failed runs plus transient errors retried.' },
    lastRun: runSchema,
    recentRuns: { type: 'array', items: runSchema, description: 'The last runs, newest first.' },
    lastCommitAt: { type: 'string', format: 'date-time', description: 'Last durable write (run or push).' },
    lagSeconds: { type: 'number', description: 'Seconds since `lastCommitAt`: the data freshness.' },
  },
} as const;

const nameParam = { type: 'string', pattern: '^[a-z][a-z0-9-]{0,63}$' } as const;

/**
 * `GET /v1/connectors` and `GET /v1/connectors/{name}` (scope `read`): each connector's forms,
 * whether it runs, its last and recent runs, error count and lag, as this hub process saw them.
 */
export async function connectorRoutes(app: FastifyInstance, opts: { status: ConnectorStatusSource }): Promise<void> {
  app.get(
    '/v1/connectors',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Connectors and their runs',
        tags: ['connectors'],
        response: {
          200: {
            type: 'object',
            required: ['items'],
            properties: { items: { type: 'array', items: connectorSchema } },
          },
          '4xx': problemSchema,
        },
      },
    },
    async () => ({ items: [...(await opts.status())].sort((a, b) => a.name.localeCompare(b.name)) }),
  );

  app.get<{ Params: { name: string } }>(
    '/v1/connectors/:name',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'One connector and its recent runs',
        tags: ['connectors'],
        params: { type: 'object', required: ['name'], properties: { name: nameParam } },
        response: { 200: connectorSchema, '4xx': problemSchema },
      },
    },
    async (request) => {
      const found = (await opts.status()).find((c) => c.name === request.params.name);
      if (!found) throw new HubError('HUB_ERR_API_NOT_FOUND', { path: request.url });
      return found;
    },
  );
}
