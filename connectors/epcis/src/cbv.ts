/**
 * The GS1 Core Business Vocabulary (CBV 2.0) as the hub reads it: business steps, dispositions
 * and business transaction types, written in any of the forms EPCIS 2.0 allows (bare term
 * `receiving`, CBV URN `urn:epcglobal:cbv:bizstep:receiving`, Web URI
 * `https://ref.gs1.org/cbv/BizStep-receiving`, compact `cbv:BizStep-receiving`), and what each
 * business step means for stock and for a shipment. The terms themselves are read from GS1's
 * JSON-LD context (`resources/gs1/epcis-context.jsonld`).
 *
 * The mapping table is documented in the connector's README; keep the two in step.
 */
import { readFileSync } from 'node:fs';
import type { StockMovement } from '../../../core/index.js';

type Ctx = Record<string, { '@context'?: unknown } | string | undefined>;

const CONTEXT = (
  JSON.parse(readFileSync(new URL('../resources/gs1/epcis-context.jsonld', import.meta.url), 'utf8')) as {
    '@context': Ctx;
  }
)['@context'];

function termsOf(node: unknown): Set<string> {
  const ctx = (node as { '@context'?: unknown } | undefined)?.['@context'];
  const list = Array.isArray(ctx) ? ctx : [ctx];
  const out = new Set<string>();
  for (const c of list) {
    if (typeof c !== 'object' || c === null) continue;
    for (const [k, v] of Object.entries(c)) if (typeof v === 'string' && !k.startsWith('@')) out.add(k);
  }
  return out;
}

/** CBV 2.0 business steps, dispositions and business transaction types, from GS1's context. */
export const CBV_BIZ_STEPS: ReadonlySet<string> = termsOf(CONTEXT.bizStep);
export const CBV_DISPOSITIONS: ReadonlySet<string> = termsOf(CONTEXT.disposition);
const bttNode = (CONTEXT.bizTransactionList as { '@context'?: { type?: unknown } } | undefined)?.['@context']?.type;
export const CBV_BTT: ReadonlySet<string> = termsOf(bttNode);

/** The bare CBV term of a vocabulary value in any EPCIS 2.0 form, or `undefined` if it is not CBV. */
function cbvTerm(value: string, urn: string, web: string, terms: ReadonlySet<string>): string | undefined {
  let term: string | undefined;
  if (terms.has(value)) term = value;
  else if (value.startsWith(urn)) term = value.slice(urn.length);
  else {
    const m = /^(?:https?:\/\/(?:ref|ns)\.gs1\.org\/cbv\/|cbv:)([A-Za-z]+)-(.+)$/.exec(value);
    if (m && m[1] === web) term = m[2];
  }
  return term !== undefined && terms.has(term) ? term : undefined;
}

export function bizStepTerm(value: string): string | undefined {
  return cbvTerm(value, 'urn:epcglobal:cbv:bizstep:', 'BizStep', CBV_BIZ_STEPS);
}

export function dispositionTerm(value: string): string | undefined {
  return cbvTerm(value, 'urn:epcglobal:cbv:disp:', 'Disp', CBV_DISPOSITIONS);
}

export function bizTransactionTypeTerm(value: string): string | undefined {
  return cbvTerm(value, 'urn:epcglobal:cbv:btt:', 'BTT', CBV_BTT);
}

export type ShipmentStatus = 'picked' | 'dispatched' | 'in-transit' | 'delivered' | 'received' | 'cancelled';

/** What a business step does to stock (`movement`) and to a shipment (`status`). */
export interface StepMeaning {
  /** `inbound`/`outbound`: a receipt or a dispatch at the event's location; `none`: no stock change. */
  readonly movement: 'inbound' | 'outbound' | 'write-off' | 'none';
  readonly status?: ShipmentStatus;
}

/**
 * The hub's reading of each CBV business step. Steps not listed change no stock and no shipment
 * (inspecting, storing, packing, commissioning, sensor_reporting…): such events are counted, not
 * mapped. `arriving` is `delivered` at the shipment's destination and `in-transit` elsewhere.
 */
export const STEP_MEANINGS: Readonly<Record<string, StepMeaning>> = Object.freeze({
  receiving: { movement: 'inbound', status: 'received' },
  accepting: { movement: 'inbound', status: 'received' },
  shipping: { movement: 'outbound', status: 'dispatched' },
  departing: { movement: 'outbound', status: 'dispatched' },
  dispensing: { movement: 'outbound' },
  retail_selling: { movement: 'outbound' },
  destroying: { movement: 'write-off' },
  arriving: { movement: 'none', status: 'delivered' },
  transporting: { movement: 'none', status: 'in-transit' },
  picking: { movement: 'none', status: 'picked' },
  staging_outbound: { movement: 'none', status: 'picked' },
  loading: { movement: 'none', status: 'picked' },
  void_shipping: { movement: 'none', status: 'cancelled' },
});

const NONE: StepMeaning = Object.freeze({ movement: 'none' });

export function stepMeaning(term: string | undefined): StepMeaning {
  return (term === undefined ? undefined : STEP_MEANINGS[term]) ?? NONE;
}

type WriteOff = Extract<StockMovement['movementType'], 'loss' | 'damage' | 'expiry-write-off'>;

/**
 * The write-off a disposition states: `expired` → expiry write-off, `damaged` → damage,
 * `destroyed`, `disposed`, `stolen` → loss. `undefined` for any other disposition.
 */
export function writeOffOf(disposition: string | undefined): WriteOff | undefined {
  switch (disposition) {
    case 'expired':
      return 'expiry-write-off';
    case 'damaged':
      return 'damage';
    case 'destroyed':
    case 'disposed':
    case 'stolen':
      return 'loss';
    default:
      return undefined;
  }
}

/** The CBV Web URI of a business transaction type, used as an identifier system. */
export function bizTransactionSystem(type: string | undefined): string {
  if (type === undefined) return 'https://ref.gs1.org/epcis/bizTransaction';
  const term = bizTransactionTypeTerm(type);
  return term === undefined ? type : `https://ref.gs1.org/cbv/BTT-${term}`;
}
