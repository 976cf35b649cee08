import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { HubError } from '../core/errors/index.js';

/**
 * The configuration contract. This JSON Schema is the only place that knows each setting's
 * type, default, environment variable (`x-env`) and whether it is a secret (`x-secret`,
 * redacted in logs). The README's configuration table is checked against it.
 */
export const configSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://reserve-hub.ma/schemas/config/1',
  type: 'object',
  additionalProperties: false,
  properties: {
    port: {
      type: 'integer',
      minimum: 0,
      maximum: 65535,
      default: 8080,
      'x-env': 'HUB_PORT',
      description: 'TCP port of the API, its docs and the situation room.',
    },
    host: {
      type: 'string',
      minLength: 1,
      default: '127.0.0.1',
      'x-env': 'HUB_HOST',
      description: 'Interface the API listens on.',
    },
    dataDir: {
      type: 'string',
      minLength: 1,
      default: './.hub',
      'x-env': 'HUB_DATA_DIR',
      description: 'Folder of the embedded warehouse (DuckDB), hub state and keys.',
    },
    logLevel: {
      enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'info',
      'x-env': 'HUB_LOG_LEVEL',
      description: 'Log level.',
    },
    bootstrapApiKey: {
      type: 'string',
      minLength: 16,
      'x-env': 'HUB_BOOTSTRAP_API_KEY',
      'x-secret': true,
      description: 'Accepted as an admin API key, for scripts and tests.',
    },
    kafkaBrokers: {
      type: 'string',
      pattern: '^[^\\s,]+:\\d+(,[^\\s,]+:\\d+)*$',
      'x-env': 'HUB_KAFKA_BROKERS',
      description: 'Kafka bootstrap servers, `host:port[,host:port]`. With ClickHouse, selects the distributed mode.',
    },
    kafkaTopicPrefix: {
      type: 'string',
      pattern: '^[A-Za-z0-9._-]*$',
      default: 'hub.',
      'x-env': 'HUB_KAFKA_TOPIC_PREFIX',
      description: 'Prefix of every hub topic.',
    },
    kafkaPartitions: {
      type: 'integer',
      minimum: 1,
      default: 6,
      'x-env': 'HUB_KAFKA_PARTITIONS',
      description: 'Partitions per topic created by `hub migrate`.',
    },
    kafkaReplicationFactor: {
      type: 'integer',
      minimum: 1,
      default: 1,
      'x-env': 'HUB_KAFKA_REPLICATION_FACTOR',
      description: 'Replication factor of topics created by `hub migrate`.',
    },
    sinkBatchSize: {
      type: 'integer',
      minimum: 1,
      maximum: 100000,
      default: 10000,
      'x-env': 'HUB_SINK_BATCH_SIZE',
      description: 'The Kafka→ClickHouse sink writes a batch once it holds this many messages…',
    },
    sinkBatchBytes: {
      type: 'integer',
      minimum: 65536,
      default: 4194304,
      'x-env': 'HUB_SINK_BATCH_BYTES',
      description:
        '…or this many bytes of messages (values, keys, headers): the bound on what the sink holds, whatever the backlog. Larger batches drain a backlog faster and use more memory.',
    },
    sinkBatchMs: {
      type: 'integer',
      minimum: 1,
      maximum: 60000,
      default: 50,
      'x-env': 'HUB_SINK_BATCH_MS',
      description: "…or once its oldest message waited this long (ms): the sink's share of the freshness lag.",
    },
    clickhouseUrl: {
      type: 'string',
      pattern: '^https?://',
      'x-env': 'HUB_CLICKHOUSE_URL',
      'x-secret': true,
      description: 'ClickHouse HTTP URL (may carry credentials). With Kafka, selects the distributed mode.',
    },
    clickhouseDatabase: {
      type: 'string',
      pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
      default: 'reserve_hub',
      'x-env': 'HUB_CLICKHOUSE_DATABASE',
      description: 'ClickHouse database of the hub.',
    },
    clickhouseCluster: {
      type: 'string',
      pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
      'x-env': 'HUB_CLICKHOUSE_CLUSTER',
      description:
        'ClickHouse `remote_servers` cluster: `hub migrate` then creates the cluster schema (ON CLUSTER, Replicated*, Distributed).',
    },
    ledgerPgUrl: {
      type: 'string',
      pattern: '^postgres(ql)?://',
      'x-env': 'HUB_LEDGER_PG_URL',
      'x-secret': true,
      description: 'PostgreSQL URL of the central stock ledger; enables the `postgres-ledger` connector.',
    },
    ledgerTable: {
      type: 'string',
      pattern: '^[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[A-Za-z_][A-Za-z0-9_]{0,62})?$',
      default: 'stock_ledger',
      'x-env': 'HUB_LEDGER_TABLE',
      description: 'Ledger table, optionally schema-qualified (`ledger.stock_ledger`).',
    },
    ledgerPollMs: {
      type: 'integer',
      minimum: 100,
      default: 1000,
      'x-env': 'HUB_LEDGER_POLL_MS',
      description: 'How often `hub start` polls the ledger.',
    },
    ministryMariadbUrl: {
      type: 'string',
      pattern: '^(mariadb|mysql)://',
      'x-env': 'HUB_MINISTRY_MARIADB_URL',
      'x-secret': true,
      description: 'MariaDB/MySQL URL of the ministry databases.',
    },
    schedules: {
      type: 'array',
      default: [],
      'x-env': 'HUB_SCHEDULES',
      'x-secret': true,
      description:
        'Pull connectors `hub start` runs on a schedule, as JSON: `[{"connector":"mariadb","every_ms":60000,"config":{…}}]` (secret: configs may hold credentials).',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['connector', 'every_ms'],
        properties: {
          connector: { type: 'string', pattern: '^[a-z][a-z0-9-]*$' },
          every_ms: { type: 'integer', minimum: 100 },
          config: { type: 'object' },
        },
      },
    },
    simulator: {
      type: 'boolean',
      default: true,
      'x-env': 'HUB_SIMULATOR',
      description: 'Run the simulator connector inside `hub start`.',
    },
    simulatorSeed: {
      type: 'integer',
      default: 42,
      'x-env': 'HUB_SIMULATOR_SEED',
      description: 'Seed of the simulated national network and its flow.',
    },
    simulatorMovements: {
      type: 'integer',
      minimum: 0,
      default: 20000,
      'x-env': 'HUB_SIMULATOR_MOVEMENTS',
      description: 'Movements the simulator writes at first start (its history).',
    },
    simulatorIntervalMs: {
      type: 'integer',
      minimum: 0,
      default: 2000,
      'x-env': 'HUB_SIMULATOR_INTERVAL_MS',
      description: 'Period of the steady simulated flow after the history; 0 stops after the history.',
    },
    jwtJwksFile: {
      type: 'string',
      minLength: 1,
      'x-env': 'HUB_JWT_JWKS_FILE',
      description:
        'Local JWKS file of the OAuth2 authorisation server; enables client-credentials JWTs beside API keys (needs issuer and audience).',
    },
    jwtIssuer: {
      type: 'string',
      minLength: 1,
      'x-env': 'HUB_JWT_ISSUER',
      description: 'The `iss` every accepted JWT must carry.',
    },
    jwtAudience: {
      type: 'string',
      minLength: 1,
      'x-env': 'HUB_JWT_AUDIENCE',
      description: 'The `aud` every accepted JWT must carry (the hub API).',
    },
    rateLimitPerMinute: {
      type: 'integer',
      minimum: 0,
      default: 6000,
      'x-env': 'HUB_RATE_LIMIT_PER_MINUTE',
      description: 'Requests per minute per client (API key or JWT client; IP when anonymous); 0 for no limit.',
    },
    corsOrigins: {
      type: 'string',
      pattern: '^https?://[^\\s,]+(,https?://[^\\s,]+)*$',
      'x-env': 'HUB_CORS_ORIGINS',
      description: 'Origins allowed by CORS, comma-separated (`https://a.ma,https://b.ma`); CORS is off when unset.',
    },
  },
} as const;

type Props = typeof configSchema.properties;
/** One scheduled pull connector. */
export interface Schedule {
  readonly connector: string;
  readonly every_ms: number;
  readonly config?: Readonly<Record<string, unknown>>;
}

type TypeOf<P> = P extends { type: 'array' }
  ? readonly Schedule[]
  : P extends { type: 'integer' }
    ? number
    : P extends { type: 'boolean' }
      ? boolean
      : P extends { enum: readonly (infer E)[] }
        ? E
        : string;
type HasDefault<K extends keyof Props> = Props[K] extends { default: unknown } ? K : never;

/** The resolved, frozen configuration. */
export type HubConfig = {
  readonly [K in keyof Props as HasDefault<K>]: TypeOf<Props[K]>;
} & {
  readonly [K in keyof Props as Exclude<K, HasDefault<K>>]?: TypeOf<Props[K]>;
} & {
  /** `distributed` when Kafka and ClickHouse are both configured, else `embedded`. */
  readonly mode: 'embedded' | 'distributed';
};

type Key = keyof Props;
const KEYS = Object.keys(configSchema.properties) as Key[];
const prop = (k: Key): Record<string, unknown> => configSchema.properties[k] as Record<string, unknown>;

/** Names of settings whose values are secrets. */
export const SECRET_KEYS: readonly Key[] = KEYS.filter((k) => prop(k)['x-secret'] === true);

const ajv = new Ajv2020({ allErrors: false, strict: false });
const validateConfig = ajv.compile(configSchema);

function fromEnvString(key: Key, raw: string): unknown {
  const type = prop(key).type;
  if (type === 'array') {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  if (type === 'integer') return /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
  if (type === 'boolean') {
    const v = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    return raw;
  }
  return raw;
}

function describeExpectation(key: Key): string {
  const p = prop(key);
  if (p.enum) return `must be one of ${(p.enum as string[]).join(', ')}`;
  if (p.type === 'integer') {
    const range = [p.minimum !== undefined ? `>= ${p.minimum}` : '', p.maximum !== undefined ? `<= ${p.maximum}` : '']
      .filter(Boolean)
      .join(' and ');
    return `must be an integer${range ? ` ${range}` : ''}`;
  }
  if (p.type === 'boolean') return 'must be true or false';
  if (p.type === 'array') return 'must be a JSON array of {"connector", "every_ms", "config"}';
  if (p.pattern) return `must match ${p.pattern}`;
  if (p.minLength) return `must be at least ${p.minLength} characters`;
  return 'is invalid';
}

export interface LoadConfigOptions {
  /** Environment to read `HUB_*` variables from; defaults to `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Optional JSON or YAML file; defaults to `HUB_CONFIG_FILE` when set. */
  readonly file?: string;
  /** Values that win over everything (command-line flags). */
  readonly overrides?: Partial<Record<Key, unknown>>;
}

/**
 * Loads the configuration: schema defaults, then the optional file, then `HUB_*` variables,
 * then explicit overrides. A bad value throws `HUB_ERR_CONFIG_INVALID` whose message is one
 * line naming the variable (or file key) and what it must be.
 */
export function loadConfig(options: LoadConfigOptions = {}): HubConfig {
  const env = options.env ?? process.env;
  const origin = new Map<Key, string>();
  const values: Record<string, unknown> = {};
  for (const k of KEYS) {
    const d = prop(k).default;
    if (d !== undefined) {
      values[k] = d;
      origin.set(k, `${String(prop(k)['x-env'])} (default)`);
    }
  }

  const file = options.file ?? env.HUB_CONFIG_FILE;
  if (file) {
    let parsed: unknown;
    try {
      const text = readFileSync(resolve(file), 'utf8');
      parsed = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    } catch (cause) {
      throw new HubError('HUB_ERR_CONFIG_FILE', { path: file, reason: (cause as Error).message }, { cause });
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new HubError('HUB_ERR_CONFIG_FILE', { path: file, reason: 'expected a mapping of settings' });
    }
    for (const [k, v] of Object.entries(parsed)) {
      if (!KEYS.includes(k as Key)) {
        throw new HubError('HUB_ERR_CONFIG_INVALID', {
          variable: `${file}: ${k}`,
          reason: `is not a known setting (known: ${KEYS.join(', ')})`,
        });
      }
      values[k] = v;
      origin.set(k as Key, `${file}: ${k}`);
    }
  }

  for (const k of KEYS) {
    const name = String(prop(k)['x-env']);
    const raw = env[name];
    if (raw !== undefined && raw !== '') {
      values[k] = fromEnvString(k, raw);
      origin.set(k, name);
    }
  }
  for (const [k, v] of Object.entries(options.overrides ?? {})) {
    if (v !== undefined) {
      values[k] = v;
      origin.set(k as Key, `--${k}`);
    }
  }

  if (!validateConfig(values)) {
    const err = validateConfig.errors?.[0];
    const key = (err?.instancePath.split('/')[1] ?? '') as Key;
    const where = origin.get(key) ?? String(prop(key)?.['x-env'] ?? key);
    const shown = SECRET_KEYS.includes(key) ? '' : ` (got ${JSON.stringify(values[key])})`;
    throw new HubError('HUB_ERR_CONFIG_INVALID', {
      variable: where,
      reason: `${KEYS.includes(key) ? describeExpectation(key) : (err?.message ?? 'is invalid')}${shown}`,
    });
  }

  const hasKafka = typeof values.kafkaBrokers === 'string';
  const hasClickHouse = typeof values.clickhouseUrl === 'string';
  if (hasKafka !== hasClickHouse) {
    throw new HubError('HUB_ERR_CONFIG_INVALID', {
      variable: hasKafka ? 'HUB_CLICKHOUSE_URL' : 'HUB_KAFKA_BROKERS',
      reason: `must be set too: the distributed mode needs both HUB_KAFKA_BROKERS and HUB_CLICKHOUSE_URL`,
    });
  }
  values.dataDir = resolve(String(values.dataDir));
  values.mode = hasKafka && hasClickHouse ? 'distributed' : 'embedded';
  return Object.freeze(values) as HubConfig;
}

/** A copy safe to log: every secret replaced by `[redacted]`. */
export function redactConfig(config: HubConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const k of SECRET_KEYS) if (out[k] !== undefined) out[k] = '[redacted]';
  return out;
}

/** Rows of the README configuration table: variable, default, secret, description. */
export function configTable(): { env: string; default: string; secret: boolean; description: string }[] {
  return KEYS.map((k) => ({
    env: String(prop(k)['x-env']),
    default: prop(k).default === undefined ? '' : JSON.stringify(prop(k).default).replace(/^"(.*)"$/, '$1'),
    secret: prop(k)['x-secret'] === true,
    description: String(prop(k).description),
  }));
}
