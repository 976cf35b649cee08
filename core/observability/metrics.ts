import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The hub's Prometheus registry. One per process; `GET /metrics` serves it. Layers record
 * into these instruments and never create their own registry.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'hub_process_' });

export const recordsIn = new Counter({
  name: 'hub_connector_records_in_total',
  help: 'Records read from a source by a connector, valid or not.',
  labelNames: ['connector', 'stream'] as const,
  registers: [registry],
});

export const recordsOut = new Counter({
  name: 'hub_connector_records_out_total',
  help: 'Valid canonical records made durable downstream.',
  labelNames: ['connector', 'stream'] as const,
  registers: [registry],
});

export const recordsDeadLettered = new Counter({
  name: 'hub_connector_records_dead_lettered_total',
  help: 'Records refused by mapping or validation and kept in the dead-letter store.',
  labelNames: ['connector', 'stream'] as const,
  registers: [registry],
});

export const connectorLastRun = new Gauge({
  name: 'hub_connector_last_run_timestamp_seconds',
  help: 'Unix time at which a connector run last ended.',
  labelNames: ['connector', 'outcome'] as const,
  registers: [registry],
});

export const sinkBatchSeconds = new Histogram({
  name: 'hub_sink_batch_seconds',
  help: 'Time to make one batch durable in the warehouse or stream.',
  labelNames: ['sink'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

export const freshnessSeconds = new Histogram({
  name: 'hub_freshness_seconds',
  help: 'Lag from the moment a record was read from its source (lineage ingestedAt) to the moment it can be queried in the warehouse.',
  labelNames: ['connector', 'source'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
  registers: [registry],
});
