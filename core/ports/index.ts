export * from './export.js';
export type * from './ingest.js';
export type * from './record-sink.js';
export type * from './resource.js';
export type * from './warehouse.js';
