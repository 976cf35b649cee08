import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isHubError, validateResource } from '../../../core/index.js';
import type { Message } from '../../sdk/connector.js';
import { runConnector } from '../../sdk/runtime.js';
import { runConformance } from '../../sdk/testing/conformance.js';
import { MemoryRecordSink } from '../../sdk/testing/memory-sink.js';
import {
  type EdxlRmConfig,
  edxlRm,
  priorityFromLeadTime,
  rmRequestId,
  rmShipmentId,
  shipmentStatusOf,
  unitOf,
} from '../src/index.js';

const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;
const GOOD = join(FIXTURES, 'good');
const BAD = join(FIXTURES, 'bad');

/** How the Red Crescent's names map to the hub's ids. */
const CONFIG: Partial<EdxlRmConfig> = {
  locations: {
    'Plateforme régionale Marrakech-Safi': 'marrakech-safi-pf',
    "Douar d'Amizmiz (Al Haouz)": 'marrakech-safi-ds1',
  },
  organizations: { 'Croissant-Rouge Marocain': 'org-crm' },
  products: { 'urn:x-crm:articles#TENTE-FAM-16': 'shelter-family-tent-16-m' },
};

function push(file: string, config: Partial<EdxlRmConfig> = CONFIG): Message[] {
  const body = readFileSync(file);
  return [
    ...edxlRm.parseDocument(
      { body, contentType: 'application/xml', filename: file.split('/').pop(), receivedAt: '2025-01-01T00:00:00Z' },
      config,
    ),
  ];
}

function records(file: string): Record<string, unknown>[] {
  const msgs = push(join(GOOD, file));
  const bad = msgs.filter((m) => m.type === 'invalid');
  if (bad.length > 0) throw new Error(JSON.stringify(bad, null, 2));
  return msgs.flatMap((m) => (m.type === 'record' ? [m.data as Record<string, unknown>] : []));
}

function thrown(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (isHubError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a HubError');
}

const SHIPMENT_ID = rmShipmentId('CC-MS-2023-0031', 'TRK-CRM-0458');

describe('edxl-rm: RequestResource → SupplyRequest', () => {
  it('maps the Amizmiz request: lines, destination, needed-by, priority, incident, requester', () => {
    const [req] = records('01-request-resource-amizmiz.xml');
    expect(req).toEqual({
      resourceType: 'SupplyRequest',
      id: rmRequestId('CC-MS-2023-0031'),
      meta: { versionId: String(Date.parse('2023-09-09T02:10:00+01:00')), lastUpdated: '2023-09-09T02:10:00+01:00' },
      identifier: [{ system: 'urn:reserve-hub:edxl-rm:message-id', value: 'CC-MS-2023-0031', use: 'official' }],
      status: 'active',
      priority: 'stat',
      requester: {
        reference: 'Organization/cellule-crise-marrakech-safi',
        display: 'Cellule régionale de crise Marrakech-Safi',
      },
      incident: { reference: 'Incident/seisme-al-haouz-2023' },
      deliverTo: { reference: 'Location/marrakech-safi-ds1', display: 'marrakech-safi-ds1' },
      authoredOn: '2023-09-09T02:10:00+01:00',
      neededBy: '2023-09-09T12:00:00+01:00',
      lines: [
        {
          sequence: 1,
          product: { reference: 'Product/shelter-family-tent-16-m', display: 'Tente familiale 16 m²' },
          quantity: { value: 500, unit: 'EA' },
          note: 'Tente familiale 16 m²',
        },
        {
          sequence: 2,
          product: { reference: 'Product/water-bottled-water-1.5-l', display: 'Eau minérale 1,5 L' },
          quantity: { value: 6000, unit: 'XBO' },
          note: 'Eau minérale 1,5 L',
        },
      ],
      reason: "Tentes et eau pour le douar d'Amizmiz — Séisme d'Al Haouz du 8 septembre 2023",
    });
    expect(validateResource(req).valid).toBe(true);
  });

  it('derives the priority from the lead time when no keyword states one', () => {
    const text = readFileSync(join(GOOD, '01-request-resource-amizmiz.xml'), 'utf8').replace(
      /<rm:Keyword>[\s\S]*?<\/rm:Keyword>/,
      '',
    );
    const [m] = [...edxlRm.parseDocument({ body: Buffer.from(text), receivedAt: '2025-01-01T00:00:00Z' }, CONFIG)];
    // Asked at 02:10 for 12:00: under 24 hours.
    expect(m).toMatchObject({ type: 'record', data: { priority: 'asap' } });
    expect([6, 7, 24, 72, 100, undefined].map(priorityFromLeadTime)).toEqual([
      'stat',
      'asap',
      'asap',
      'urgent',
      'routine',
      'routine',
    ]);
  });
});

describe('edxl-rm: CommitResource and deployment reports → Shipment versions', () => {
  it('makes one planned Shipment of the truck that carries both lines', () => {
    const [shp] = records('02-commit-resource-amizmiz.xml');
    expect(shp).toMatchObject({
      resourceType: 'Shipment',
      id: SHIPMENT_ID,
      status: 'planned',
      statusHistory: [{ status: 'planned', at: '2023-09-09T03:30:00+01:00', by: 'Croissant-Rouge Marocain' }],
      requests: [{ reference: `SupplyRequest/${rmRequestId('CC-MS-2023-0031')}` }],
      incident: { reference: 'Incident/seisme-al-haouz-2023' },
      origin: { reference: 'Location/marrakech-safi-pf' },
      destination: { reference: 'Location/marrakech-safi-ds1' },
      carrier: { reference: 'Organization/org-crm' },
      eta: '2023-09-09T11:30:00+01:00',
      lines: [
        { product: { reference: 'Product/shelter-family-tent-16-m' }, quantity: { value: 500, unit: 'EA' } },
        { product: { reference: 'Product/water-bottled-water-1.5-l' }, quantity: { value: 6000, unit: 'XBO' } },
      ],
      identifier: [{ system: 'urn:reserve-hub:edxl-rm:resource-id', value: 'TRK-CRM-0458' }],
    });
    expect(validateResource(shp).valid).toBe(true);
  });

  it('makes each report a newer version of the same Shipment, with the history it tells', () => {
    const [commit] = records('02-commit-resource-amizmiz.xml');
    const [enroute] = records('03-report-status-enroute.xml');
    const [arrived] = records('04-report-status-arrived.xml');
    for (const s of [enroute, arrived]) {
      expect(s?.id).toBe(SHIPMENT_ID);
      expect(validateResource(s).valid).toBe(true);
    }
    const version = (r: unknown) => Number((r as { meta: { versionId: string } }).meta.versionId);
    expect(version(commit) < version(enroute) && version(enroute) < version(arrived)).toBe(true);
    const history = (r: unknown) =>
      (r as { statusHistory: { status: string; at: string }[] }).statusHistory.map(
        (e) => `${e.status}@${e.at.slice(11, 16)}`,
      );
    expect(enroute?.status).toBe('in-transit');
    expect(history(enroute)).toEqual(['planned@03:30', 'dispatched@06:20', 'in-transit@07:55']);
    expect(arrived?.status).toBe('delivered');
    expect(history(arrived)).toEqual(['planned@03:30', 'dispatched@06:20', 'delivered@12:10']);
  });

  it('reads deployment statuses, units and their synonyms', () => {
    expect(['Enroute', 'En route', 'ON-SCENE', 'Mobilizing', 'Démobilisé'].map(shipmentStatusOf)).toEqual([
      'in-transit',
      'in-transit',
      'delivered',
      'picked',
      undefined,
    ]);
    expect(['EA', 'kg', 'Litres', 'palettes', 'XBO', 'furlongs'].map(unitOf)).toEqual([
      'EA',
      'kg',
      'LTR',
      'XPX',
      'XBO',
      undefined,
    ]);
  });
});

describe('edxl-rm: bad messages', () => {
  it('refuses a message type EDXL-RM does not have, naming it', () => {
    const err = thrown(() => push(join(BAD, 'unknown-message-type.xml')));
    expect(err.code).toBe('HUB_ERR_INGEST_DOCUMENT');
    expect(err.message).toContain(
      'unknown-message-type.xml: its root element is {urn:oasis:names:tc:emergency:EDXL:RM:1.0:msg}RequestDonation, which is not an EDXL-RM 1.0 message',
    );
  });

  it('refuses XXE and parameter entities', () => {
    const err = thrown(() => push(join(BAD, 'xxe.xml')));
    expect(err.code).toBe('HUB_ERR_XML_UNSAFE');
    expect(err.message).toContain('%remote → SYSTEM "http://attacker.example/evil.dtd"');
    expect(err.message).toContain('xxe → SYSTEM "file:///etc/passwd"');
  });

  it('dead-letters a request with a resource without quantity, naming the element, with the message XML', () => {
    const [m] = push(join(BAD, 'missing-quantity.xml'));
    expect(m).toMatchObject({
      type: 'invalid',
      stream: 'resource_messages',
      resourceType: 'SupplyRequest',
      sourceId: 'CRM-SM-2024-112',
      errors: [
        {
          pointer: '/RequestResource/ResourceInformation[2]/AssignmentInformation/Quantity/MeasuredQuantity/Amount',
          code: 'HUB_ERR_MAPPING_REQUIRED',
          message:
            'EDXL-RM RequestResource CRM-SM-2024-112: /RequestResource/ResourceInformation[2]/AssignmentInformation/Quantity/MeasuredQuantity/Amount is required to build a SupplyRequest',
        },
      ],
      payload: { document: 'missing-quantity.xml', path: '/RequestResource', line: 3 },
    });
  });

  it('keeps a message of a type the hub does not map as a dead letter', () => {
    const [m] = push(join(BAD, 'response-to-request-resource.xml'));
    expect(m).toMatchObject({
      type: 'invalid',
      errors: [{ code: 'HUB_ERR_MAPPING_UNSUPPORTED', pointer: '/ResponseToRequestResource' }],
    });
  });

  it('dead-letters a report of an unknown deployment status, an unknown place, and a missing ResourceID', () => {
    const text = readFileSync(join(GOOD, '03-report-status-enroute.xml'), 'utf8');
    const parse = (t: string, config = CONFIG) => [
      ...edxlRm.parseDocument({ body: Buffer.from(t), filename: 'r.xml', receivedAt: '2025-01-01T00:00:00Z' }, config),
    ];
    const [status] = parse(text.replace('<rm:Value>Enroute</rm:Value>', '<rm:Value>Teleported</rm:Value>'));
    expect(status).toMatchObject({
      type: 'invalid',
      sourceId:
        'CRM-MS-2023-0458-S1#/ReportResourceDeploymentStatus/ResourceInformation[1]|/ReportResourceDeploymentStatus/ResourceInformation[2]',
      errors: [
        {
          code: 'HUB_ERR_MAPPING_CODE_UNKNOWN',
          pointer:
            '/ReportResourceDeploymentStatus/ResourceInformation[1]/Resource/ResourceStatus/DeploymentStatus/Value',
        },
      ],
    });
    const [place] = parse(text, { ...CONFIG, locations: {} });
    expect(place).toMatchObject({
      type: 'invalid',
      errors: [{ code: 'HUB_ERR_MAPPING_LOCATION_UNKNOWN' }, { code: 'HUB_ERR_MAPPING_LOCATION_UNKNOWN' }],
    });
    const at = text.lastIndexOf('<rm:ResourceID>');
    const noId = parse(text.slice(0, at) + text.slice(text.indexOf('</rm:ResourceID>', at) + 16));
    // The first resource is still a Shipment (with one line); the second is a dead letter.
    expect(noId.map((m) => m.type)).toEqual(['invalid', 'record']);
    expect(noId[0]).toMatchObject({
      errors: [{ pointer: '/ReportResourceDeploymentStatus/ResourceInformation[2]/Resource/ResourceID' }],
    });
    expect((noId[1] as unknown as { data: { lines: unknown[] } }).data.lines).toHaveLength(1);
  });

  it('reads a folder with bad messages without stopping, and never reads a finished file again', async () => {
    const sink = new MemoryRecordSink();
    await sink.init();
    const run = await runConnector({ connector: edxlRm, config: { dir: BAD }, sink, failureBudget: false });
    expect(run.status).toBe('succeeded');
    expect(sink.deadLetters.map((d) => d.errors[0]?.code).sort()).toEqual([
      'HUB_ERR_INGEST_DOCUMENT',
      'HUB_ERR_MAPPING_REQUIRED',
      'HUB_ERR_MAPPING_UNSUPPORTED',
      'HUB_ERR_XML_UNSAFE',
    ]);
    const again = await runConnector({ connector: edxlRm, config: { dir: BAD }, sink, failureBudget: false });
    expect(again.recordsIn).toBe(0);
  });
});

describe('edxl-rm: duplicates and conformance', () => {
  it('gives the same records for a message sent twice: nothing doubles', async () => {
    expect(push(join(GOOD, '02-commit-resource-amizmiz.xml'))).toEqual(
      push(join(GOOD, '02-commit-resource-amizmiz.xml')),
    );
    const sink = new MemoryRecordSink();
    await sink.init();
    for (let i = 0; i < 2; i++)
      await runConnector({
        connector: edxlRm,
        config: { ...CONFIG, path: join(GOOD, '02-commit-resource-amizmiz.xml') },
        sink,
      });
    expect(sink.byKey.size).toBe(1);
  });

  it('passes the conformance kit on the exchange request → commit → reports', async () => {
    const report = await runConformance(edxlRm, { ...CONFIG, dir: GOOD });
    expect(report.failures).toEqual([]);
    expect(report.checks.find((c) => c.name === 'records_valid')?.detail).toBe('4 records');
  });
});
