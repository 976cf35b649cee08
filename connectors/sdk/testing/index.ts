/** Test helpers for connector authors: the conformance kit and an in-memory sink. */
export {
  type ConformanceCheck,
  type ConformanceOptions,
  type ConformanceReport,
  runConformance,
} from './conformance.js';
export { MemoryRecordSink } from './memory-sink.js';
