export type * from './record-sink.js';
export type * from './resource.js';
export type * from './warehouse.js';
export type * from './ingest.js';
