/** Test helpers for connector authors: the conformance kit and an in-memory sink. */
export {
  runConformance,
  type ConformanceCheck,
  type ConformanceOptions,
  type ConformanceReport,
} from './conformance.js';
export { MemoryRecordSink } from './memory-sink.js';
