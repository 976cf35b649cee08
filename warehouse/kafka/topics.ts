/**
 * The hub's topics. One topic per resource family keeps a consumer that wants only stock
 * movements from reading the catalogue, and lets each family have the retention it needs:
 * entities (the latest version per id is what matters) are compacted, events are kept for a
 * retention period.
 */

/**
 * Topic name prefix used when none is configured. A topic is the prefix followed by its family
 * (`hub.stock-movements`), so the prefix carries its own separator and may be empty.
 */
export const DEFAULT_TOPIC_PREFIX = 'hub.';

/** Default retention of event topics: 7 days, Kafka's own default (the warehouse keeps history). */
export const DEFAULT_EVENT_RETENTION_MS = 7 * 24 * 3600 * 1000;

export type TopicKind = 'entity' | 'event';

export interface TopicSpec {
  readonly name: string;
  readonly kind: TopicKind;
}

const FAMILY_BY_TYPE: Readonly<Record<string, string>> = {
  StockMovement: 'stock-movements',
  Location: 'locations',
  Product: 'products',
  Lot: 'lots',
};

/** Everything without a family of its own: keyed by resource id, so compaction keeps each id's latest version. */
const OTHER_RESOURCES = 'resources';
const DEAD_LETTERS = 'dead-letters';

const KIND_BY_FAMILY: Readonly<Record<string, TopicKind>> = {
  'stock-movements': 'event',
  locations: 'entity',
  products: 'entity',
  lots: 'entity',
  [OTHER_RESOURCES]: 'entity',
  [DEAD_LETTERS]: 'event',
};

/** The topic a canonical resource of this type is produced to, e.g. `hub.stock-movements`. */
export function recordTopic(resourceType: string, prefix: string = DEFAULT_TOPIC_PREFIX): string {
  return `${prefix}${FAMILY_BY_TYPE[resourceType] ?? OTHER_RESOURCES}`;
}

/** The topic dead letters are produced to, e.g. `hub.dead-letters`. */
export function deadLetterTopic(prefix: string = DEFAULT_TOPIC_PREFIX): string {
  return `${prefix}${DEAD_LETTERS}`;
}

/** Every hub topic with its kind: what `ensureTopics` creates and the sink subscribes to. */
export function hubTopics(prefix: string = DEFAULT_TOPIC_PREFIX): TopicSpec[] {
  return Object.entries(KIND_BY_FAMILY).map(([family, kind]) => ({ name: `${prefix}${family}`, kind }));
}
