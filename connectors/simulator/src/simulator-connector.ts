/**
 * The simulator connector: a realistic, deterministic national network for demos, tests and
 * benchmarks. Streams, in read order: `locations`, `organizations`, `products`, `lots`,
 * `stock_movements`, then the streams of what happened while those movements were made:
 * `incidents`, `supply_requests`, `shipments`, `equipment` and `maintenance_events`.
 *
 * Each stream's state is a sequence cursor `{ seq }`; a resumed run continues exactly where
 * the last checkpoint left off. The movement stream replays the flow up to its cursor,
 * without building records, to restore the warehouses' balances and the crisis operations;
 * the event streams then read, each from its own cursor, the versions that the flow recorded
 * up to the end of the movement stream (`movements`). The event streams are versioned: one
 * record per change of an incident, request, shipment, asset or maintenance event, keyed by
 * `id` and `meta.versionId`.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { HubError } from '../../../core/errors/index.js';
import type { CanonicalResource } from '../../../core/ports/index.js';
import type { CheckResult, JSONSchema, ReadOptions } from '../../sdk/connector.js';
import { ConnectorBase, type Stream, type StreamMessage } from '../../sdk/connector-base.js';
import { CATALOGUE, productResource } from './catalogue.js';
import { parseStart } from './clock.js';
import { buildLots, lotResource } from './lots.js';
import { MovementFlow, movementMessage } from './movements.js';
import { networkLocations } from './network.js';
import type { EventLog, Version } from './operations.js';
import { organizations } from './organizations.js';

export interface SimulatorConfig {
  readonly seed: number;
  readonly movements: number;
  readonly start_date: string;
  readonly invalid_rate: number;
  readonly incidents_per_30_days: number;
  readonly checkpoint_every: number;
  readonly continuous: boolean;
  readonly interval_ms: number;
  readonly movements_per_interval: number;
}

/** A stream's state: the sequence number of the next record to read. */
interface Cursor {
  readonly seq: number;
}

const SPEC = JSON.parse(readFileSync(new URL('../resources/spec.json', import.meta.url), 'utf8')) as JSONSchema;

function cursorOf(state: unknown): number {
  const seq = (state as Partial<Cursor> | undefined)?.seq;
  return typeof seq === 'number' && Number.isInteger(seq) && seq >= 0 ? seq : 0;
}

function startOf(config: SimulatorConfig): number {
  const ms = parseStart(config.start_date);
  if (ms === undefined) {
    throw new HubError('HUB_ERR_CONNECTOR_CONFIG', {
      name: 'simulator',
      reason: `start_date ${config.start_date} is not a date`,
    });
  }
  return ms;
}

/** A stream over a fixed list, checkpointing every `checkpoint_every` records and at its end. */
function listStream(
  name: string,
  resourceType: string,
  list: (config: SimulatorConfig) => readonly CanonicalResource[],
): Stream<SimulatorConfig> {
  return {
    name,
    resourceTypes: [resourceType],
    primaryKey: ['id'],
    *read(config, state) {
      const items = list(config);
      const every = config.checkpoint_every;
      for (let seq = cursorOf(state); seq < items.length; ) {
        yield { type: 'record', data: items[seq] as CanonicalResource };
        seq++;
        if (seq % every === 0 || seq === items.length) yield { type: 'state', state: { seq } };
      }
    },
  };
}

/** Movements from the cursor up to `movements`, with a checkpoint every `checkpoint_every`. */
function* finiteMovements(config: SimulatorConfig, flow: MovementFlow): Generator<StreamMessage> {
  const every = config.checkpoint_every;
  while (flow.seq < config.movements) {
    yield movementMessage(config.seed, flow.next());
    if (flow.seq % every === 0 || flow.seq === config.movements) yield { type: 'state', state: { seq: flow.seq } };
  }
}

/** Then, in continuous mode, a batch every `interval_ms` until the run is aborted. */
async function* endlessMovements(
  config: SimulatorConfig,
  flow: MovementFlow,
  signal?: AbortSignal,
): AsyncGenerator<StreamMessage> {
  yield* finiteMovements(config, flow);
  for (;;) {
    try {
      await sleep(config.interval_ms, undefined, signal ? { signal } : {});
    } catch {
      return; // aborted
    }
    for (let i = 0; i < config.movements_per_interval; i++) yield movementMessage(config.seed, flow.next());
    yield { type: 'state', state: { seq: flow.seq } };
  }
}

function newFlow(config: SimulatorConfig): MovementFlow {
  const start = startOf(config);
  return new MovementFlow({
    seed: config.seed,
    startMs: start,
    invalidRate: config.invalid_rate,
    lots: buildLots(config.seed, start),
    incidentsPer30Days: config.incidents_per_30_days,
  });
}

/** What the streams of one read share: the flow, once the movement stream has run it. */
interface ReadContext {
  flow: MovementFlow | undefined;
}

function movementsStream(ctx: ReadContext): Stream<SimulatorConfig> {
  return {
    name: 'stock_movements',
    resourceTypes: ['StockMovement'],
    primaryKey: ['id'],
    read(config, state, options: ReadOptions) {
      const flow = newFlow(config);
      ctx.flow = flow;
      flow.skipTo(cursorOf(state));
      return config.continuous ? endlessMovements(config, flow, options.signal) : finiteMovements(config, flow);
    },
  };
}

/**
 * A versioned stream of the flow's event log, as recorded up to the end of the movement
 * stream. Read on its own (no movement stream before it in this read), it runs the flow there.
 */
function eventStream(
  ctx: ReadContext,
  name: string,
  resourceType: string,
  pick: (log: EventLog) => readonly Version[],
): Stream<SimulatorConfig> {
  return {
    name,
    resourceTypes: [resourceType],
    primaryKey: ['id', 'meta.versionId'],
    *read(config, state) {
      let flow = ctx.flow;
      if (!flow) {
        flow = newFlow(config);
        flow.skipTo(config.movements);
        ctx.flow = flow;
      }
      const items = pick(flow.events);
      const every = config.checkpoint_every;
      for (let seq = cursorOf(state); seq < items.length; ) {
        yield { type: 'record', data: (items[seq] as Version).build() };
        seq++;
        if (seq % every === 0 || seq === items.length) yield { type: 'state', state: { seq } };
      }
    },
  };
}

export class SimulatorConnector extends ConnectorBase<SimulatorConfig> {
  readonly name = 'simulator';
  protected readonly configSchema = SPEC;

  protected async checkConnection(config: SimulatorConfig): Promise<CheckResult> {
    startOf(config);
    return { status: 'succeeded' };
  }

  override sourceSystem(config: Partial<SimulatorConfig>): string {
    return `simulator:seed=${this.resolve(config).seed}`;
  }

  protected streams(): readonly Stream<SimulatorConfig>[] {
    const ctx: ReadContext = { flow: undefined };
    return [
      listStream('locations', 'Location', () => networkLocations()),
      listStream('organizations', 'Organization', () => organizations()),
      listStream('products', 'Product', () => CATALOGUE.map(productResource)),
      listStream('lots', 'Lot', (c) => buildLots(c.seed, startOf(c)).lots.map(lotResource)),
      movementsStream(ctx),
      eventStream(ctx, 'incidents', 'Incident', (log) => log.incidents),
      eventStream(ctx, 'supply_requests', 'SupplyRequest', (log) => log.supplyRequests),
      eventStream(ctx, 'shipments', 'Shipment', (log) => log.shipments),
      eventStream(ctx, 'equipment', 'Equipment', (log) => log.equipment),
      eventStream(ctx, 'maintenance_events', 'MaintenanceEvent', (log) => log.maintenance),
    ];
  }
}

export const simulator = new SimulatorConnector();
