/**
 * Partner-file benchmark: CSV rows per second through the `files` connector into the embedded
 * warehouse (mapping, core validation, lineage, DuckDB exactly-once), with the peak RSS of the
 * run, next to a plain streaming parse of the same file with csv-parse, in the same run.
 *
 *   npx tsx bench/connectors-files.ts [--quick]   # writes bench/results/connectors-files.json
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse';
import { files } from '../connectors/files/src/index.js';
import { runConnector } from '../connectors/index.js';
import { createDuckDbWarehouse } from '../warehouse/index.js';

const ROWS = process.argv.includes('--quick') ? 20_000 : 100_000;
const dir = mkdtempSync(join(tmpdir(), 'bench-files-'));
const path = join(dir, 'rapport-stock.csv');

/** A Latin-1, `;`-separated partner export with French decimal commas, like the fixtures. */
async function writeCsv(): Promise<void> {
  const out = createWriteStream(path);
  out.write(Buffer.from('Date;Type;Code entrepôt;Code article;N° lot;Quantité;Unité;Motif\r\n', 'latin1'));
  for (let i = 0; i < ROWS; i++) {
    const day = String(1 + (i % 28)).padStart(2, '0');
    const line = `${day}/01/2025;Entrée;souss-massa-wh${1 + (i % 4)};food-cooking-oil-1-l;HT-${i % 997};${(i % 500) + 1},5;l;Réception n° ${i}\r\n`;
    if (!out.write(Buffer.from(line, 'latin1'))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function plainParse(): Promise<{ seconds: number; rows: number }> {
  const t0 = performance.now();
  let rows = 0;
  const parser = createReadStream(path)
    .pipe(new TextDecoderStreamLike())
    .pipe(parse({ delimiter: ';', columns: true }));
  for await (const _row of parser) rows++;
  return { seconds: (performance.now() - t0) / 1000, rows };
}

/** Latin-1 bytes to text, as the connector decodes them. */
import { Transform } from 'node:stream';

class TextDecoderStreamLike extends Transform {
  readonly #decoder = new TextDecoder('windows-1252');
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null, d?: string) => void): void {
    done(null, this.#decoder.decode(chunk, { stream: true }));
  }
}

async function hubRun(): Promise<{ seconds: number; rows: number; deadLettered: number; peakRssMb: number }> {
  const warehouse = createDuckDbWarehouse({ dataDir: join(dir, 'hub') });
  await warehouse.init();
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  try {
    const t0 = performance.now();
    const report = await runConnector({
      connector: files,
      config: { path, encoding: 'latin1' },
      sink: warehouse,
      failureBudget: false,
    });
    if (report.status !== 'succeeded') throw new Error(`files run ${report.status}: ${JSON.stringify(report.error)}`);
    return {
      seconds: (performance.now() - t0) / 1000,
      rows: report.recordsOut,
      deadLettered: report.deadLettered,
      peakRssMb: Math.round(peak / 2 ** 20),
    };
  } finally {
    clearInterval(sampler);
    await warehouse.close();
  }
}

try {
  await writeCsv();
  const plain = await plainParse();
  const hub = await hubRun();
  if (hub.rows + hub.deadLettered !== ROWS)
    throw new Error(`expected ${ROWS} rows, the hub stored ${hub.rows} and refused ${hub.deadLettered}`);
  const result = {
    part: 'connectors-files',
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, loadavg: loadavg() },
    rows: ROWS,
    fileMb: Number((statSync(path).size / 2 ** 20).toFixed(1)),
    hub: {
      rowsPerSecond: Math.round(hub.rows / hub.seconds),
      seconds: hub.seconds,
      peakRssMb: hub.peakRssMb,
      deadLettered: hub.deadLettered,
    },
    plainCsvParse: { rowsPerSecond: Math.round(plain.rows / plain.seconds), seconds: plain.seconds },
    ratioHubToPlainParse: Number((plain.seconds / hub.seconds).toFixed(3)),
  };
  console.log(
    `files → DuckDB: ${result.hub.rowsPerSecond} rows/s (peak RSS ${hub.peakRssMb} MB) vs plain csv-parse ${result.plainCsvParse.rowsPerSecond} rows/s (ratio ${result.ratioHubToPlainParse})`,
  );
  writeFileSync(
    fileURLToPath(new URL('./results/connectors-files.json', import.meta.url)),
    `${JSON.stringify(result, null, 2)}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
