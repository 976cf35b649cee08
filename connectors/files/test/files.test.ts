/**
 * The files connector on real partner files (test/fixtures/): a Red Crescent Souss-Massa report
 * in Latin-1 with `;` and decimal commas, an HXL 3W stock sheet with French and Arabic names, a
 * UTF-8 CSV with a BOM, an XLSX workbook, and bad files. Pull and push forms, resume, re-reads.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHubError } from '../../../core/errors/index.js';
import type { CanonicalResource } from '../../../core/ports/index.js';
import type { Message } from '../../sdk/connector.js';
import { runConnector } from '../../sdk/runtime.js';
import { MemoryRecordSink } from '../../sdk/testing/memory-sink.js';
import { fieldDefs, files, XLSX_MEDIA_TYPE } from '../src/index.js';

const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;
const fixture = (name: string) => join(FIXTURES, name);
const SOUSS = 'croissant-rouge-souss-massa-mouvements-2025-01.csv';

// biome-ignore lint/suspicious/noExplicitAny: tests read record fields freely
type Rec = Record<string, any>;

async function readAll(config: object, state: Record<string, unknown> = {}): Promise<Message[]> {
  const out: Message[] = [];
  for await (const m of files.read(config, state)) out.push(m);
  return out;
}

const records = (ms: Message[]) => ms.flatMap((m) => (m.type === 'record' ? [m.data as Rec] : []));
const invalids = (ms: Message[]) => ms.flatMap((m) => (m.type === 'invalid' ? [m] : []));
const logs = (ms: Message[]) => ms.flatMap((m) => (m.type === 'log' ? [m.message] : []));

async function push(body: Buffer, contentType: string, filename?: string, config: object = {}): Promise<Message[]> {
  const out: Message[] = [];
  const doc = { body, contentType, receivedAt: '2025-02-01T10:00:00+01:00', ...(filename ? { filename } : {}) };
  for await (const m of files.parseDocument(doc, config)) out.push(m);
  return out;
}

async function thrown(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'hub-files-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('files connector: partner files', () => {
  it('reads the Souss-Massa report: Latin-1, ";", title lines, decimal commas, French words', async () => {
    const ms = await readAll({ path: fixture(SOUSS) });
    const recs = records(ms);
    expect(recs).toHaveLength(10);
    expect(logs(ms).some((l) => /not valid UTF-8.*read as Latin-1 \(Windows-1252\)/.test(l))).toBe(true);
    expect(logs(ms).some((l) => /Windows-1252, ";" delimited.*header at row 4/.test(l))).toBe(true);
    const [flour, water, oil] = recs as [Rec, Rec, Rec];
    expect(flour).toMatchObject({
      movementType: 'receipt',
      occurredAt: '2025-01-06T08:30:00+01:00',
      location: { reference: 'Location/souss-massa-wh1' },
      counterpart: { reference: 'Location/souss-massa-pf' },
      product: { reference: 'Product/food-wheat-flour-5-kg', display: 'Farine de blé 5 kg' },
      lot: { lotNumber: 'FB-2024-311', expiry: '2025-06-30' },
      quantity: { value: 1250, unit: 'KGM' },
    });
    // Windows-1252 characters beyond ISO-8859-1: « » – € ’ œ.
    expect(water.reason).toBe('Don « Solidarité Souss » – 2 000 € de fret offert');
    expect(water).toMatchObject({
      movementType: 'donation-in',
      counterpart: { reference: 'Organization/unicef-maroc' },
    });
    expect(oil.quantity).toEqual({ value: -96.5, unit: 'LTR' });
    expect(recs.map((r) => r.movementType)).toEqual([
      'receipt',
      'donation-in',
      'dispatch',
      'dispatch',
      'damage',
      'transfer-out',
      'adjustment',
      'expiry-write-off',
      'return',
      'loss',
    ]);
    expect(recs[4]?.reason).toBe('Cartons endommagés par l’humidité (cœur du stock)');
    expect(recs[5]).toMatchObject({ lot: { expiry: '2026-03-31' }, quantity: { value: -2400, unit: 'XPA' } });
    expect(recs[6]?.quantity).toEqual({ value: -7.5, unit: 'KGM' });
    // The "Total" line at the bottom is no movement: refused, with its row, never dropped.
    const [total] = invalids(ms);
    expect(total?.sourceId).toBe(`${SOUSS}#16`);
    expect(total?.payload).toMatchObject({ file: SOUSS, row: 16, values: { Date: 'Total' } });
  });

  it('makes ids and lineage from the file and row, the same on every read', async () => {
    const sink = new MemoryRecordSink();
    const report = await runConnector({
      connector: files,
      config: { path: fixture(SOUSS), source_system: 'crm-souss-massa' },
      sink,
    });
    expect(report).toMatchObject({ status: 'succeeded', recordsOut: 10, deadLettered: 1 });
    const first = sink.records[0] as CanonicalResource;
    expect(first.id).toMatch(/^mv-[0-9a-f]{12}-5$/);
    expect(first.meta?.lineage).toMatchObject({
      connector: 'files',
      sourceSystem: 'files:crm-souss-massa',
      sourceId: `${SOUSS}#5`,
    });
    const again = records(await readAll({ path: fixture(SOUSS), source_system: 'crm-souss-massa' }));
    expect(again.map((r) => r.id)).toEqual(sink.records.map((r) => r.id));
    // Another partner's file of the same name gets other ids.
    const other = records(await readAll({ path: fixture(SOUSS), source_system: 'crm-oriental' }));
    expect(other[0]?.id).not.toBe(first.id);
  });

  it('reads an HXL 3W stock sheet into snapshots, matching columns by hashtag and language', async () => {
    const ms = await readAll({
      path: fixture('hxl-3w-stock-situation-2025-01-31.csv'),
      resource_type: 'StockSnapshot',
    });
    const recs = records(ms);
    expect(recs).toHaveLength(6);
    expect(ms.find((m) => m.type === 'record')?.stream).toBe('stock_snapshots');
    expect(recs[0]).toMatchObject({
      resourceType: 'StockSnapshot',
      countedAt: '2025-01-31T00:00:00+01:00',
      location: { reference: 'Location/souss-massa-wh1', display: "Entrepôt régional d'Agadir" },
      product: { reference: 'Product/food-wheat-flour-5-kg', display: 'Farine de blé 5 kg' },
      quantity: { value: 1250, unit: 'KGM' },
      extension: [
        { url: 'https://reserve-hub.ma/ext/product-name-ar', valueString: 'دقيق القمح 5 كغ' },
        { url: 'https://reserve-hub.ma/ext/adm1-code', valueCode: 'MA09' },
        { url: 'https://reserve-hub.ma/ext/adm1-name', valueString: 'Souss-Massa' },
      ],
    });
    expect(recs[5]?.quantity).toEqual({ value: 0, unit: 'EA' });
    // An explicit mapping by HXL pattern picks the Arabic name for display instead.
    const ar = records(
      await readAll({
        path: fixture('hxl-3w-stock-situation-2025-01-31.csv'),
        resource_type: 'StockSnapshot',
        mapping: { product_name: '#item+name+i_ar', product_name_ar: [] },
      }),
    );
    expect(ar[0]?.product.display).toBe('دقيق القمح 5 كغ');
  });

  it('reads a file whose hashtag row stands instead of a header', async () => {
    const ms = await readAll({ path: fixture('hxl-only-oriental.csv') });
    expect(logs(ms).some((l) => l.includes('no header row, HXL hashtags at row 1'))).toBe(true);
    expect(records(ms).map((r) => [r.movementType, r.quantity.value])).toEqual([
      ['dispatch', -120],
      ['receipt', 40],
    ]);
  });

  it('reads a UTF-8 file with a BOM; ids from its id column; GTINs resolved by the catalogue', async () => {
    const ms = await readAll({
      path: fixture('oriental-movements-utf8-bom.csv'),
      mapping: { id: 'movement_id' },
      product_catalogue: fixture('catalogue.csv'),
      source_system: 'crm-oriental',
    });
    const recs = records(ms);
    expect(recs).toHaveLength(4);
    expect(recs[0]).toMatchObject({
      identifier: [{ system: 'urn:reserve-hub:files:crm-oriental', value: 'OR-2025-0001' }],
      product: { reference: 'Product/food-wheat-flour-5-kg' },
      gtin: '16118002000018',
      references: [{ reference: 'SupplyRequest/sr-2025-0042' }],
    });
    expect(recs[0]?.id).toMatch(/^mv-[0-9a-f]{16}$/);
    expect(recs[1]?.extension).toEqual([
      { url: 'https://reserve-hub.ma/ext/source-reference', valueString: 'Bon n° 118 – Berkane' },
    ]);
  });

  it('reads an XLSX sheet: dates, numbers, a formula quantity by its result, a GTIN product', async () => {
    const ms = await readAll({ path: fixture('marrakech-safi-mouvements-2025-02.xlsx'), sheet: 'Mouvements' });
    const recs = records(ms);
    expect(recs.map((r) => [r.occurredAt, r.movementType, r.quantity.value, r.quantity.unit])).toEqual([
      ['2025-02-03T09:30:00+01:00', 'receipt', 640, 'KGM'],
      ['2025-02-04T00:00:00+01:00', 'dispatch', -240, 'KGM'],
      ['2025-02-05T00:00:00+01:00', 'donation-in', 1920, 'XCA'],
      ['2025-02-06T00:00:00+01:00', 'dispatch', -1500, 'EA'],
    ]);
    expect(recs[2]).toMatchObject({ product: { reference: 'Product/gtin-16118002000377' }, gtin: '16118002000377' });
    const payload = ms.find((m) => m.type === 'record' && m.sourceId?.endsWith('#5'));
    expect(payload?.type === 'record' && payload.sourcePayload).toMatchObject({
      sheet: 'Mouvements',
      row: 5,
      values: { Quantité: { formula: '12*20', result: 240 } },
    });
    const missing = invalids(
      await readAll({ path: fixture('marrakech-safi-mouvements-2025-02.xlsx'), sheet: 'Stock' }),
    );
    expect(missing[0]?.errors[0]?.message).toMatch(/no worksheet named "Stock" \(worksheets: Notes, Mouvements\)/);
  });
});

describe('files connector: check', () => {
  it('checks a file down to its header, and a folder by listing it', async () => {
    expect(await files.check({ path: fixture(SOUSS) })).toEqual({ status: 'succeeded' });
    const noHeader = await files.check({ path: fixture('bad/no-usable-header.csv') });
    expect(noHeader.status).toBe('failed');
    expect(noHeader.message).toMatch(/has no header row naming a column for movement_type/);
    const missing = await files.check({ path: fixture('nope.csv') });
    expect(missing.message).toMatch(/cannot read .*nope\.csv/);
    expect(await files.check({ dir: FIXTURES })).toEqual({
      status: 'succeeded',
      message: `6 file(s) match *.{csv,tsv,txt,xlsx} in ${FIXTURES}`,
    });
    expect((await files.check({})).message).toMatch(/needs path \(one file\) or dir/);
  });
});

describe('files connector: spec', () => {
  it("lists in its spec exactly the fields a file's columns can map", () => {
    const spec = files.spec() as { properties: { mapping: { propertyNames: { enum: string[] } } } };
    const fields = new Set([...fieldDefs('StockMovement'), ...fieldDefs('StockSnapshot')].map((d) => d.name));
    expect([...spec.properties.mapping.propertyNames.enum].sort()).toEqual([...fields].sort());
  });
});

describe('files connector: bad input, each named by row and column, nothing lost', () => {
  const config = {
    path: fixture('bad/mixed-problems.csv'),
    mapping: { id: 'Réf mouvement' },
    product_catalogue: fixture('catalogue.csv'),
  };

  it('refuses formula cells, unknown products, bad GTINs, codes, dates and numbers', async () => {
    const ms = await readAll(config);
    const byRow = new Map(invalids(ms).map((m) => [(m.payload as { row: number }).row, m]));
    const first = (row: number) => byRow.get(row)?.errors[0];
    expect(first(4)).toMatchObject({ code: 'HUB_ERR_FILES_FORMULA_CELL', pointer: '/values/Code article' });
    expect(byRow.get(4)?.errors).toHaveLength(1);
    expect(first(4)?.message).toBe(
      'row 4 of mixed-problems.csv: /values/Code article starts with = like a spreadsheet formula; a text cell may not',
    );
    expect(byRow.get(4)?.payload).toMatchObject({
      file: 'mixed-problems.csv',
      row: 4,
      values: { 'Code article': '=HYPERLINK("http://exemple.invalid","clic")' },
    });
    expect(first(5)).toMatchObject({ code: 'HUB_ERR_FILES_FORMULA_CELL', pointer: '/values/Motif' });
    expect(first(6)).toMatchObject({ code: 'HUB_ERR_MAPPING_PRODUCT_UNKNOWN', pointer: '/values/Code article' });
    expect(first(7)).toMatchObject({ code: 'HUB_ERR_MAPPING_IDENTIFIER', pointer: '/values/Code article' });
    expect(first(7)?.message).toMatch(/wrong check digit/);
    expect(first(8)).toMatchObject({ code: 'HUB_ERR_MAPPING_CODE_UNKNOWN', pointer: '/values/Type' });
    expect(first(9)).toMatchObject({ code: 'HUB_ERR_MAPPING_VALUE', pointer: '/values/Date' });
    expect(first(10)).toMatchObject({ code: 'HUB_ERR_MAPPING_VALUE', pointer: '/values/Quantité' });
    expect(first(13)).toMatchObject({ code: 'HUB_ERR_MAPPING_DUPLICATE', pointer: '/values/Réf mouvement' });
    expect(first(13)?.message).toMatch(/repeats "M-010", already read at row 12/);
    expect(first(15)).toMatchObject({ code: 'HUB_ERR_FILES_FORMULA_CELL', pointer: '/values/Code entrepôt' });
    // Row 11 repeats row 2 exactly: read once, and said.
    expect(byRow.has(11)).toBe(false);
    expect(logs(ms).some((l) => /1 row\(s\) repeat an earlier row exactly.*rows 11/.test(l))).toBe(true);
    expect(records(ms).map((r) => r.identifier[0].value)).toEqual(['M-001', 'M-002', 'M-010', 'M-011']);
  });

  it("leaves a receipt's negative quantity to core's sign rule, which dead-letters it with its row", async () => {
    const sink = new MemoryRecordSink();
    const report = await runConnector({ connector: files, config, sink, failureBudget: false });
    expect(report).toMatchObject({ status: 'succeeded', recordsIn: 13, recordsOut: 3, deadLettered: 10 });
    const sign = sink.deadLetters.find((d) => d.sourceId === 'mixed-problems.csv#3');
    expect(sign?.errors).toEqual([
      expect.objectContaining({ code: 'HUB_ERR_MODEL_QUANTITY_SIGN', pointer: '/quantity/value' }),
    ]);
    expect(sign?.payload).toMatchObject({ row: 3, values: { Quantité: '-100' } });
  });

  it('keeps the cut row of a CSV truncated mid-quote, and the rows before it', async () => {
    const ms = await readAll({ path: fixture('bad/truncated-mid-quote.csv') });
    expect(records(ms)).toHaveLength(1);
    const [cut] = invalids(ms);
    expect(cut?.sourceId).toBe('truncated-mid-quote.csv#3');
    expect(cut?.errors[0]).toMatchObject({ code: 'HUB_ERR_FILES_TRUNCATED' });
    expect(cut?.errors[0]?.message).toBe(
      'row 3 of truncated-mid-quote.csv: the file ends inside this row (a quoted cell is not closed)',
    );
    expect(cut?.payload).toEqual({
      file: 'truncated-mid-quote.csv',
      row: 3,
      raw: '07/01/2025;Sortie;souss-massa-wh1;food-wheat-flour-5-kg;20;kg;"Distribution douar Aït',
    });
  });

  it('turns a file it cannot read into one dead letter naming it, and reads the others', async () => {
    const sink = new MemoryRecordSink();
    const report = await runConnector({
      connector: files,
      config: { dir: fixture('bad') },
      sink,
      failureBudget: false,
    });
    expect(report.status).toBe('succeeded');
    const notZip = sink.deadLetters.find((d) => d.sourceId === 'not-a-zip.xlsx');
    expect(notZip?.errors[0]).toMatchObject({ code: 'HUB_ERR_FILES_UNREADABLE' });
    expect(notZip?.errors[0]?.message).toBe(
      'File not-a-zip.xlsx cannot be read as XLSX: not a valid zip archive (an .xlsx file is one)',
    );
    expect(notZip?.payload).toMatchObject({ file: 'not-a-zip.xlsx', bytes: 75 });
    expect(Buffer.from((notZip?.payload as { base64: string } | undefined)?.base64 ?? '', 'base64')).toEqual(
      readFileSync(fixture('bad/not-a-zip.xlsx')),
    );
    const noHeader = sink.deadLetters.find((d) => d.sourceId === 'no-usable-header.csv');
    expect(noHeader?.errors[0]?.code).toBe('HUB_ERR_FILES_COLUMNS_MISSING');
    expect(noHeader?.errors[0]?.message).toMatch(/no header row naming a column for movement_type, occurred_at/);
    expect(sink.records.some((r) => r.meta?.lineage?.sourceId === 'truncated-mid-quote.csv#2')).toBe(true);
  });

  it('refuses text that the configured UTF-8 cannot read, naming the cell', async () => {
    // The first 64 KiB are ASCII, so `auto` reads UTF-8; a Latin-1 "é" comes later.
    const path = join(tmp, 'late-latin1.csv');
    const head = 'Date;Type;Code entrepot;Code article;Quantite;Unite;Motif\n';
    const good = '06/01/2025;Sortie;souss-massa-wh1;equipment-shovel;1;EA;ok\n';
    const bad = Buffer.from('07/01/2025;Sortie;souss-massa-wh1;equipment-shovel;2;EA;Réparé\n', 'latin1');
    writeFileSync(path, Buffer.concat([Buffer.from(head + good.repeat(1200), 'utf8'), bad]));
    const ms = await readAll({ path });
    expect(records(ms)).toHaveLength(1200);
    const [refused] = invalids(ms);
    expect(refused?.errors[0]).toMatchObject({ code: 'HUB_ERR_FILES_ENCODING', pointer: '/values/Motif' });
    expect(refused?.errors[0]?.message).toBe('row 1202 of late-latin1.csv: /values/Motif is not valid UTF-8 text');
    // Told it is Latin-1, the same file reads whole.
    expect(records(await readAll({ path, encoding: 'latin1' }))[1200]?.reason).toBe('Réparé');
  });

  it('refuses an XLSX formula in a text cell, and reads a workbook cut short up to the cut', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Stock');
    ws.addRow(['Date', 'Type', 'Entrepôt', 'Code article', 'Quantité', 'Unité']);
    ws.addRow([
      '2025-02-03',
      'Sortie',
      'oriental-wh1',
      { formula: 'HYPERLINK("http://x.invalid","riz")', result: 'riz' },
      3,
      'EA',
    ]);
    for (let i = 0; i < 3000; i++) ws.addRow(['2025-02-03', 'Sortie', 'oriental-wh1', `equipment-shovel`, i + 1, 'EA']);
    const path = join(tmp, 'formula.xlsx');
    await wb.xlsx.writeFile(path);
    const ms = await readAll({ path });
    expect(invalids(ms)[0]?.errors[0]).toMatchObject({
      code: 'HUB_ERR_FILES_FORMULA_CELL',
      pointer: '/values/Code article',
    });
    expect(records(ms)).toHaveLength(3000);

    const bytes = readFileSync(path);
    const cutPath = join(tmp, 'cut.xlsx');
    writeFileSync(cutPath, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const cut = await readAll({ path: cutPath });
    const refused = invalids(cut).find((m) => m.sourceId === 'cut.xlsx');
    expect(refused?.errors[0]?.code).toBe('HUB_ERR_FILES_UNREADABLE');
    expect(refused?.errors[0]?.message).toMatch(/File cut\.xlsx cannot be read as XLSX/);
  });
});

describe('files connector: pull form state', () => {
  it('resumes mid-file from its row and byte offset, losing and repeating nothing', async () => {
    const dir = join(tmp, 'resume');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    copyFileSync(fixture(SOUSS), join(dir, SOUSS));
    copyFileSync(fixture('hxl-only-oriental.csv'), join(dir, 'hxl-only-oriental.csv'));
    const config = { dir, checkpoint_every: 3 };
    const sourceIds = (ms: Message[]) =>
      ms.flatMap((m) => (m.type === 'record' || m.type === 'invalid' ? [m.sourceId as string] : []));
    const full = await readAll(config);
    const states = full.flatMap((m) => (m.type === 'state' ? [m.state] : []));
    const mid = states.find((s) => (s as { files: Record<string, { row?: number }> }).files[SOUSS]?.row === 9) as {
      files: Record<string, { row: number; offset: number }>;
    };
    expect(mid.files[SOUSS]).toEqual({ fingerprint: expect.any(String), row: 9, offset: expect.any(Number) });
    const rest = sourceIds(await readAll(config, { stock_movements: mid }));
    const after9 = (id: string) => !id.startsWith(`${SOUSS}#`) || Number(id.split('#')[1]) > 9;
    expect(rest).toEqual(sourceIds(full).filter(after9));
    expect(rest[0]).toBe(`${SOUSS}#10`);

    // A finished file is not read again; a changed one is read from its start, with the same ids.
    const sink = new MemoryRecordSink();
    await runConnector({ connector: files, config, sink });
    const second = await runConnector({ connector: files, config, sink });
    expect(second).toMatchObject({ status: 'succeeded', recordsIn: 0 });
    utimesSync(join(dir, SOUSS), new Date(), new Date(Date.now() + 5000));
    const third = await runConnector({ connector: files, config, sink });
    expect(third).toMatchObject({ recordsOut: 10 });
    expect(sink.byKey.size).toBe(12);
  });

  it('stops at a position when aborted, and never marks the file it stopped in as done', async () => {
    const dir = join(tmp, 'abort');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    copyFileSync(fixture(SOUSS), join(dir, SOUSS));
    const controller = new AbortController();
    const out: Message[] = [];
    for await (const m of files.read({ dir, checkpoint_every: 2 }, {}, { signal: controller.signal })) {
      out.push(m);
      if (m.type === 'state') controller.abort();
    }
    const states = out.flatMap((m) => (m.type === 'state' ? [m.state as { files: Record<string, object> }] : []));
    expect(states).toHaveLength(1);
    expect(states[0]?.files[SOUSS]).toEqual({
      fingerprint: expect.any(String),
      row: expect.any(Number),
      offset: expect.any(Number),
    });
    expect(records(out).length).toBeLessThanOrEqual(2);
  });

  it('logs how far a large file is read', async () => {
    const path = join(tmp, 'large.csv');
    const row = '06/01/2025;Sortie;souss-massa-wh1;equipment-shovel;1;EA;Distribution aux familles du douar\n';
    writeFileSync(path, `Date;Type;Entrepôt;Code article;Quantité;Unité;Motif\n${row.repeat(30_000)}`);
    const progress = logs(await readAll({ path })).filter((l) => / % read /.test(l));
    // One line per tenth of the file at most, as the parser gets through its 1 MiB chunks.
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress[0]).toMatch(/^large\.csv: \d+ % read \(\d+(\.\d)? (KiB|MiB) of 2\.\d MiB\), row \d+$/);
    const percents = progress.map((l) => Number(/: (\d+) %/.exec(l)?.[1]));
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
  });
});

describe('files connector: push form', () => {
  it('maps a pushed CSV and XLSX the way the pull form maps the file', async () => {
    const body = readFileSync(fixture(SOUSS));
    const pushed = await push(body, 'text/csv; charset=windows-1252', SOUSS, { source_system: 'crm-souss-massa' });
    const pulled = await readAll({ path: fixture(SOUSS), source_system: 'crm-souss-massa' });
    expect(records(pushed)).toEqual(records(pulled));
    expect(pushed.every((m) => m.type !== 'state')).toBe(true);
    const xlsx = await push(
      readFileSync(fixture('marrakech-safi-mouvements-2025-02.xlsx')),
      XLSX_MEDIA_TYPE,
      'marrakech.xlsx',
      { sheet: 'Mouvements' },
    );
    expect(records(xlsx)).toHaveLength(4);
    expect(files.acceptedMediaTypes).toContain('text/csv');
  });

  it('refuses a whole document it cannot read, or one over its size limit', async () => {
    const notZip = await thrown(push(readFileSync(fixture('bad/not-a-zip.xlsx')), XLSX_MEDIA_TYPE, 'export.xlsx'));
    expect(isHubError(notZip) && notZip.code === 'HUB_ERR_FILES_UNREADABLE' && notZip.kind === 'data').toBe(true);
    expect((notZip as Error).message).toMatch(/^File export\.xlsx cannot be read as XLSX/);
    const noHeader = await thrown(push(readFileSync(fixture('bad/no-usable-header.csv')), 'text/csv'));
    expect(isHubError(noHeader) && noHeader.code).toBe('HUB_ERR_FILES_COLUMNS_MISSING');
    const big = Buffer.alloc(files.maxDocumentBytes + 1, 0x20);
    const tooLarge = await thrown(push(big, 'text/csv', 'big.csv'));
    expect(isHubError(tooLarge) && tooLarge.code).toBe('HUB_ERR_INGEST_TOO_LARGE');
  });
});
