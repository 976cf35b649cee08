/**
 * The distributed mode's stream: the Kafka `RecordSink`, its state store, topic names and the
 * topic migration. Importing this loads no native code: node-rdkafka is loaded in `init()`.
 */
export { type EnsureTopicsOptions, ensureTopics } from './kafka-migrator.js';
export {
  hubProducerConfig,
  KafkaRecordSink,
  type KafkaRecordSinkOptions,
  type LibrdkafkaConfig,
  type ProducerClient,
  type ProducerEvents,
  type ProducerFactory,
  rdkafkaProducer,
} from './kafka-record-sink.js';
export { type LogFn, type StreamLogger, silentLogger } from './logger.js';
export {
  DEAD_LETTER_EVENT_TYPE,
  type DecodedMessage,
  decodeMessage,
  encodeDeadLetter,
  encodeRecord,
  encodeSinkDeadLetter,
  type IncomingMessage,
  type OutgoingMessage,
  SINK_DEAD_LETTER_EVENT_TYPE,
  type SinkDeadLetter,
  sinkDeadLetterKey,
  stockLineKey,
} from './messages.js';
export { FileStateStore, type StateStore } from './state-store.js';
export {
  DEFAULT_EVENT_RETENTION_MS,
  DEFAULT_TOPIC_PREFIX,
  deadLetterTopic,
  hubTopics,
  recordTopic,
  type TopicKind,
  type TopicSpec,
} from './topics.js';
