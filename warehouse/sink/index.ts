/** The distributed mode's sink: Kafka consumer group → `WarehouseWriter`, offsets committed after the write. */
export {
  type KafkaSink,
  type KafkaSinkOptions,
  type KafkaSinkStats,
  sinkConsumerConfig,
  startKafkaSink,
} from './kafka-sink.js';
export type {
  ConsumerClient,
  ConsumerFactory,
  RebalanceKind,
  TopicPartition,
  TopicPartitionOffset,
} from './sink-consumer.js';
