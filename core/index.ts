export * from './envelope/index.js';
export * from './errors/index.js';
export * from './identifiers/index.js';
export * from './lineage/index.js';
export * from './model/index.js';
export * from './observability/metrics.js';
export * from './ports/index.js';
export * from './units/index.js';
