/**
 * EPCIS connector benchmark: events per second through `parseDocument` (size, UTF-8 and JSON
 * checks, GS1 EPCIS 2.0 schema validation of every event, identifier parsing, mapping) plus
 * core validation of every record, for one generated document of 50,000 ObjectEvents (receiving
 * and shipping by quantity, each with its eventID); and, in the same run, a plain `JSON.parse`
 * of the same bytes as the baseline. Median of several runs, CPU time (one core).
 *
 *   npx tsx bench/connectors-epcis.ts            # writes bench/results/connectors-epcis.json
 *   npx tsx bench/connectors-epcis.ts --quick    # 5,000 events, fewer runs (smoke)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { epcis } from '../connectors/epcis/src/index.js';
import { validateResource } from '../core/index.js';

const QUICK = process.argv.includes('--quick');
const EVENTS = QUICK ? 5_000 : 50_000;
const RUNS = QUICK ? 3 : 5;

const SITES = ['urn:epc:id:sgln:6118000.09000.0', 'urn:epc:id:sgln:6118000.09001.0', 'urn:epc:id:sgln:6118000.09002.0'];
const CLASSES = [
  'urn:epc:class:lgtin:6118002.100059.L2025-0611',
  'urn:epc:class:lgtin:6118002.100134.SAL-25-114',
  'urn:epc:class:lgtin:6118002.100053.NADCC-2507',
  'urn:epc:class:lgtin:6118002.100074.BLK-25-03',
];
const UNITS = ['EA', 'XBO', 'XBX', 'EA'];

function documentOf(n: number): Buffer {
  const eventList: unknown[] = [];
  const t0 = Date.parse('2025-09-08T05:00:00Z');
  for (let i = 0; i < n; i++) {
    const site = SITES[i % SITES.length] as string;
    const k = i % CLASSES.length;
    const shipping = i % 3 === 2;
    eventList.push({
      eventID: `urn:uuid:5b0c1e7a-2f4d-4c8e-9a61-${i.toString(16).padStart(12, '0')}`,
      type: 'ObjectEvent',
      action: 'OBSERVE',
      bizStep: shipping ? 'shipping' : 'receiving',
      disposition: shipping ? 'in_transit' : 'in_progress',
      eventTime: new Date(t0 + i * 1000).toISOString(),
      eventTimeZoneOffset: '+01:00',
      readPoint: { id: site },
      ...(shipping ? {} : { bizLocation: { id: site } }),
      quantityList: [{ epcClass: CLASSES[k], quantity: 1 + (i % 40), uom: UNITS[k] }],
    });
  }
  const doc = {
    '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: '2025-09-08T17:00:00.000+01:00',
    epcisBody: { eventList },
  };
  return Buffer.from(JSON.stringify(doc));
}

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Median CPU milliseconds of `op` over RUNS runs, after one warm-up run. */
function timeMs(op: () => void): number {
  op();
  const samples: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const start = cpuMs();
    op();
    samples.push(cpuMs() - start);
  }
  return median(samples);
}

const body = documentOf(EVENTS);
const config = { gln_map: { '6118000090007': 'souss-massa-pf', '6118000090014': 'souss-massa-wh1' } };
let records = 0;
let refused = 0;

const parseMs = timeMs(() => {
  JSON.parse(body.toString('utf8'));
});
const connectorMs = timeMs(() => {
  records = 0;
  refused = 0;
  for (const m of epcis.parseDocument({ body, receivedAt: '2025-09-08T18:00:00Z' }, config)) {
    if (m.type === 'invalid') refused++;
    else if (m.type === 'record') {
      if (validateResource(m.data).valid) records++;
      else refused++;
    }
  }
});
if (records !== EVENTS || refused !== 0)
  throw new Error(`expected ${EVENTS} valid records, got ${records} (${refused} refused)`);

const result = {
  benchmark: 'connectors-epcis',
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  quick: QUICK,
  events: EVENTS,
  documentBytes: body.length,
  runs: RUNS,
  jsonParse: { ms: Math.round(parseMs), eventsPerSecond: Math.round((EVENTS / parseMs) * 1000) },
  parseDocumentAndValidate: { ms: Math.round(connectorMs), eventsPerSecond: Math.round((EVENTS / connectorMs) * 1000) },
  /** How many times slower than a bare `JSON.parse` the whole connector path is. */
  ratioToJsonParse: Math.round((connectorMs / parseMs) * 10) / 10,
};
console.log(JSON.stringify(result, null, 2));
if (!QUICK) {
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/connectors-epcis.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
}
