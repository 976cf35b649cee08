import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isHubError, validateResource } from '../../../core/index.js';
import type { Message } from '../../sdk/connector.js';
import { createIngestService } from '../../sdk/ingest-service.js';
import { runConnector } from '../../sdk/runtime.js';
import { runConformance } from '../../sdk/testing/conformance.js';
import { MemoryRecordSink } from '../../sdk/testing/memory-sink.js';
import { cap, capIncidentId, incidentTypeOf, regionOfGeocode, regionsInText } from '../src/index.js';

const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;
const GOOD = join(FIXTURES, 'good');
const BAD = join(FIXTURES, 'bad');
const tmp: string[] = [];
afterAll(() => {
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

function push(file: string, config = {}, contentType = 'application/cap+xml'): Message[] {
  const body = readFileSync(file);
  return [
    ...cap.parseDocument(
      { body, contentType, filename: file.split('/').pop(), receivedAt: '2025-01-01T00:00:00Z' },
      config,
    ),
  ];
}

function record(file: string): Record<string, unknown> {
  const msgs = push(join(GOOD, file));
  const r = msgs.find((m) => m.type === 'record');
  if (r?.type !== 'record') throw new Error(`no record in ${file}: ${JSON.stringify(msgs)}`);
  return r.data as Record<string, unknown>;
}

function thrown(fn: () => unknown): { code: string; kind: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (isHubError(err)) return { code: err.code, kind: err.kind, message: err.message };
    throw err;
  }
  throw new Error('expected a HubError');
}

describe('cap: alerts become incidents', () => {
  const quake = record('01-seisme-al-haouz-alert.xml');

  it('maps the Al Haouz earthquake alert, in French and Arabic, to one Incident', () => {
    expect(quake).toMatchObject({
      resourceType: 'Incident',
      id: capIncidentId('sismo@cnrst.ma', 'MA-CNRST-2023-09-08-2311-EQ'),
      incidentType: 'earthquake',
      severity: 'Extreme',
      status: 'active',
      name: {
        fr: "Séisme de magnitude 6,8 dans la province d'Al Haouz",
        ar: 'زلزال بقوة 6,8 درجات بإقليم الحوز',
      },
      period: { start: '2023-09-08T23:11:00+01:00' },
      affectedRegions: ['marrakech-safi'],
      epicentre: { latitude: 31.11, longitude: -8.44 },
      capAlertId: 'MA-CNRST-2023-09-08-2311-EQ',
      meta: { versionId: String(Date.parse('2023-09-08T23:25:00+01:00')), lastUpdated: '2023-09-08T23:25:00+01:00' },
      identifier: [
        { system: 'urn:reserve-hub:cap-alert:sismo%40cnrst.ma', value: 'MA-CNRST-2023-09-08-2311-EQ', use: 'official' },
      ],
    });
    expect(quake.id).toMatch(/^cap-ma-cnrst-2023-09-08-2311-eq-[0-9a-f]{10}$/);
    expect((quake.description as string).startsWith('Un séisme de magnitude 6,8')).toBe(true);
    expect(quake.extension).toEqual(
      expect.arrayContaining([
        { url: 'https://reserve-hub.ma/ext/cap/msg-type', valueCode: 'Alert' },
        { url: 'https://reserve-hub.ma/ext/cap/urgency', valueCode: 'Immediate' },
        { url: 'https://reserve-hub.ma/ext/cap/circle', valueString: '31.11,-8.44 0' },
      ]),
    );
    expect(validateResource(quake).valid).toBe(true);
  });

  it('makes an Update a new version of the same Incident, its regions widened', () => {
    const update = record('02-seisme-al-haouz-update.xml');
    expect(update.id).toBe(quake.id);
    expect(Number((update.meta as { versionId: string }).versionId)).toBeGreaterThan(
      Number((quake.meta as { versionId: string }).versionId),
    );
    expect(update).toMatchObject({
      status: 'monitoring',
      capAlertId: 'MA-CNRST-2023-09-08-2311-EQ.2',
      affectedRegions: ['beni-mellal-khenifra', 'marrakech-safi', 'draa-tafilalet', 'souss-massa'],
      identifier: [
        { value: 'MA-CNRST-2023-09-08-2311-EQ', use: 'official' },
        { value: 'MA-CNRST-2023-09-08-2311-EQ.2', use: 'secondary' },
      ],
    });
    expect(validateResource(update).valid).toBe(true);
  });

  it('maps the Tata flood alert with three languages, its polygon and its expiry', () => {
    const flood = record('03-inondations-tata-alert.xml');
    expect(flood).toMatchObject({
      incidentType: 'flood',
      severity: 'Severe',
      status: 'active',
      affectedRegions: ['souss-massa'],
      name: {
        fr: 'Vigilance rouge : orages et crues soudaines dans la province de Tata',
        ar: 'يقظة حمراء: زخات رعدية وسيول بإقليم طاطا',
        en: 'Red warning: thunderstorms and flash floods in Tata province',
      },
      period: { start: '2024-09-07T18:00:00+01:00', end: '2024-09-09T18:00:00+01:00' },
    });
    expect(flood.epicentre).toBeUndefined();
    expect(flood.extension).toContainEqual({
      url: 'https://reserve-hub.ma/ext/cap/polygon',
      valueString: '29.60,-8.20 29.90,-7.60 29.70,-7.20 29.30,-7.40 29.20,-8.00 29.60,-8.20',
    });
  });

  it('closes the flood Incident on a Cancel', () => {
    const flood = record('03-inondations-tata-alert.xml');
    const cancel = record('04-inondations-tata-cancel.xml');
    expect(cancel.id).toBe(flood.id);
    expect(cancel).toMatchObject({
      status: 'closed',
      period: { start: '2024-09-07T18:00:00+01:00', end: '2024-09-09T12:00:00+01:00' },
      // No Arabic <info> in the cancel: the Arabic name is made from the type and the region.
      name: { fr: 'Fin de vigilance : inondations dans la province de Tata', ar: 'فيضانات — سوس-ماسة' },
    });
    expect(validateResource(cancel).valid).toBe(true);
  });

  it('skips an exercise with a log, and reads it when the config asks for exercises', () => {
    const msgs = push(join(GOOD, '05-exercice-tsunami.xml'));
    expect(msgs).toEqual([
      {
        type: 'log',
        level: 'info',
        message: expect.stringContaining('has status Exercise, not Actual: not an incident, skipped'),
      },
    ]);
    const read = push(join(GOOD, '05-exercice-tsunami.xml'), { statuses: ['Actual', 'Exercise'] });
    expect(read[0]).toMatchObject({
      type: 'record',
      data: { incidentType: 'flood', affectedRegions: ['casablanca-settat'] },
    });
  });

  it('gives the same record for the same alert, pushed twice or read from two files: nothing doubles', async () => {
    const a = push(join(GOOD, '01-seisme-al-haouz-alert.xml'));
    const b = push(join(GOOD, '01-seisme-al-haouz-alert.xml'));
    expect(b).toEqual(a);
    const dir = mkdtempSync(join(tmpdir(), 'cap-dup-'));
    tmp.push(dir);
    cpSync(join(GOOD, '01-seisme-al-haouz-alert.xml'), join(dir, 'a.xml'));
    cpSync(join(GOOD, '01-seisme-al-haouz-alert.xml'), join(dir, 'b.xml'));
    const sink = new MemoryRecordSink();
    await sink.init();
    const report = await runConnector({ connector: cap, config: { dir }, sink });
    expect(report.status).toBe('succeeded');
    expect(sink.records).toHaveLength(2);
    expect(sink.byKey.size).toBe(1);
  });

  it('keeps the lineage of the exact message: sender,identifier,sent', async () => {
    const sink = new MemoryRecordSink();
    await sink.init();
    await runConnector({ connector: cap, config: { path: join(GOOD, '03-inondations-tata-alert.xml') }, sink });
    expect(sink.records[0]?.meta?.lineage).toMatchObject({
      connector: 'cap',
      sourceId: 'vigilance@marocmeteo.ma,MA-DGM-2024-09-07-1800-FL,2024-09-07T18:00:00+01:00',
      sourceHash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
  });
});

describe('cap: push through the ingest service', () => {
  it('makes a pushed alert durable with the pusher in its lineage, and refuses an unsafe one whole', async () => {
    const sink = new MemoryRecordSink();
    await sink.init();
    const ingest = createIngestService({ connectors: { cap }, sink });
    const doc = (file: string) => ({
      body: readFileSync(file),
      contentType: 'application/cap+xml',
      receivedAt: '2024-09-07T18:00:30+01:00',
      pushedBy: 'key-dgm',
    });
    const result = await ingest.ingest('cap', doc(join(GOOD, '03-inondations-tata-alert.xml')));
    expect(result).toMatchObject({ accepted: 1, rejected: 0 });
    expect(sink.records[0]?.meta?.lineage?.sourceSystem).toBe('cap/pushed-by/key-dgm');
    await expect(ingest.ingest('cap', doc(join(BAD, 'xxe.xml')))).rejects.toMatchObject({ code: 'HUB_ERR_XML_UNSAFE' });
    expect(sink.records).toHaveLength(1);
  });
});

describe('cap: bad alerts', () => {
  it('refuses XXE as a whole document, naming the entity and never reading the file', () => {
    const err = thrown(() => push(join(BAD, 'xxe.xml')));
    expect(err).toMatchObject({ code: 'HUB_ERR_XML_UNSAFE', kind: 'data' });
    expect(err.message).toContain('xxe.xml');
    expect(err.message).toContain('xxe → SYSTEM "file:///etc/passwd"');
  });

  it('refuses an alert in another namespace (CAP 1.1), naming it', () => {
    const err = thrown(() => push(join(BAD, 'wrong-namespace.xml')));
    expect(err.code).toBe('HUB_ERR_INGEST_DOCUMENT');
    expect(err.message).toContain(
      'wrong-namespace.xml: its root element is {urn:oasis:names:tc:emergency:cap:1.1}alert; a CAP 1.2 alert is <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">',
    );
  });

  it('refuses a truncated alert with its line and column, and bytes that are not UTF-8', () => {
    const cut = thrown(() => push(join(BAD, 'truncated.xml')));
    expect(cut.code).toBe('HUB_ERR_XML_MALFORMED');
    expect(cut.message).toMatch(/truncated\.xml is not well-formed at line 13, column \d+: unclosed tag: event/);
    const latin = thrown(() => push(join(BAD, 'latin1-undeclared.xml')));
    expect(latin.code).toBe('HUB_ERR_INGEST_DOCUMENT');
    expect(latin.message).toContain('(0xe0, line 11)');
  });

  it('dead-letters an alert without identifier, with its XML and the field at fault', () => {
    const [m] = push(join(BAD, 'missing-identifier.xml'));
    expect(m).toMatchObject({
      type: 'invalid',
      stream: 'incidents',
      resourceType: 'Incident',
      sourceId: 'missing-identifier.xml#/alert',
      errors: [
        {
          pointer: '/alert/identifier',
          code: 'HUB_ERR_MAPPING_REQUIRED',
          message: 'CAP alert of missing-identifier.xml: /alert/identifier is required to build a Incident',
        },
      ],
      payload: { document: 'missing-identifier.xml', path: '/alert', line: 2, column: 1 },
    });
    expect((m as unknown as { payload: { xml: string } }).payload.xml).toMatch(/^<alert xmlns=.*<\/alert>$/s);
  });

  it('dead-letters an alert whose severity is not a CAP severity, naming the element', () => {
    const [m] = push(join(BAD, 'invalid-severity.xml'));
    expect(m).toMatchObject({
      type: 'invalid',
      sourceId: 'vigilance@marocmeteo.ma,MA-DGM-2024-10-02-0900-ST,2024-10-02T09:00:00+01:00',
      errors: [{ pointer: '/alert/info/severity', code: 'HUB_ERR_MAPPING_CODE_UNKNOWN' }],
    });
    expect((m as unknown as { errors: { message: string }[] }).errors[0]?.message).toBe(
      'CAP alert MA-DGM-2024-10-02-0900-ST: /alert/info/severity is High, which the hub cannot map; expected one of Extreme, Severe, Moderate, Minor, Unknown (CAP 1.2)',
    );
  });

  it('reads a folder of bad alerts without stopping: every file is a dead letter, none is read twice', async () => {
    const sink = new MemoryRecordSink();
    await sink.init();
    const first = await runConnector({ connector: cap, config: { dir: BAD }, sink, failureBudget: false });
    expect(first.status).toBe('succeeded');
    expect(first.recordsOut).toBe(0);
    expect(readdirSync(BAD)).toHaveLength(6);
    expect(sink.deadLetters.map((d) => d.sourceId?.split('#')[0]).sort()).toEqual([
      'latin1-undeclared.xml',
      'missing-identifier.xml',
      'truncated.xml',
      'vigilance@marocmeteo.ma,MA-DGM-2024-10-02-0900-ST,2024-10-02T09:00:00+01:00',
      'wrong-namespace.xml',
      'xxe.xml',
    ]);
    const unsafe = sink.deadLetters.find((d) => d.sourceId === 'xxe.xml');
    expect(unsafe?.errors[0]?.code).toBe('HUB_ERR_XML_UNSAFE');
    expect((unsafe?.payload as { text: string } | undefined)?.text).toContain('<!ENTITY xxe SYSTEM');
    const again = await runConnector({ connector: cap, config: { dir: BAD }, sink, failureBudget: false });
    expect(again.recordsIn).toBe(0);
  });
});

describe('cap: vocabulary and places', () => {
  it('finds Moroccan regions in French and Arabic area descriptions', () => {
    expect(regionsInText("Province d'Al Haouz")).toEqual(['marrakech-safi']);
    expect(regionsInText('بإقليم الحوز وتارودانت')).toEqual(['marrakech-safi', 'souss-massa']);
    expect(regionsInText('Région de Drâa-Tafilalet, province de Zagora')).toEqual(['draa-tafilalet']);
    expect(regionsInText('Ensemble du Maroc')).toHaveLength(12);
    expect(regionsInText('Nord-est de la ville')).toEqual([]);
  });

  it('reads region geocodes: ISO 3166-2, hub slugs, and a partner map', () => {
    expect(regionOfGeocode('ISO 3166-2', 'MA-09', {})).toBe('souss-massa');
    expect(regionOfGeocode('region', 'oriental', {})).toBe('oriental');
    expect(regionOfGeocode('DGM', 'Z12', { DGM: { Z12: 'guelmim-oued-noun' } })).toBe('guelmim-oued-noun');
    expect(regionOfGeocode('FIPS6', '006113', {})).toBeUndefined();
  });

  it('decides the type from an event code, then the event text, then the category', () => {
    expect(incidentTypeOf([['SAME', 'EQW']], ['Alerte'], ['Geo']).type).toBe('earthquake');
    expect(incidentTypeOf([['incidentType', 'chemical']], [], ['Other']).type).toBe('chemical');
    expect(incidentTypeOf([], ['Incendie de forêt'], ['Fire']).type).toBe('fire');
    expect(incidentTypeOf([], ['انزلاق التربة'], ['Geo']).type).toBe('landslide');
    expect(incidentTypeOf([], ['Fuite de gaz toxique'], ['CBRNE']).type).toBe('chemical');
    expect(incidentTypeOf([], ['Avis'], ['Met']).type).toBe('storm');
    expect(incidentTypeOf([], ['Avis'], ['Health'])).toEqual({ type: 'other', from: 'category Health' });
  });
});

describe('cap: conformance kit', () => {
  it('passes every check on the good alerts, resuming after each file', async () => {
    const report = await runConformance(cap, { dir: GOOD });
    expect(report.failures).toEqual([]);
    expect(report.checks.find((c) => c.name === 'records_valid')?.detail).toBe('4 records');
  });
});
