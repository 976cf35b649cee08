/**
 * BOUNDED MEMORY: a CSV far larger than the memory it may use is read in constant memory.
 * A ~200 MB file (HUB_TEST_FILES_MB to change it) is written to a temp dir as a stream, never
 * held, then read through the connector; the peak RSS growth must stay under 150 MB, whatever
 * the file size. The slowest test of the connector: tens of seconds on a 2-core machine.
 */

import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const MB = Number(process.env.HUB_TEST_FILES_MB ?? 200);
const CHILD = new URL('./read-in-child.ts', import.meta.url).pathname;
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'hub-files-big-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes about `mb` MiB of stock movements, Latin-1 and `;` like a partner export; returns the row count. */
async function writeBigCsv(path: string, mb: number): Promise<number> {
  const out = createWriteStream(path);
  out.write(Buffer.from('Date;Type;Code entrepôt;Code article;N° lot;Quantité;Unité;Motif\r\n', 'latin1'));
  const note = 'Distribution aux familles sinistrées du douar, relevé de l’équipe mobile – '.repeat(3);
  let bytes = 0;
  let rows = 0;
  while (bytes < mb * 1024 * 1024) {
    const day = String(1 + (rows % 28)).padStart(2, '0');
    const line = `${day}/01/2025;Sortie;souss-massa-wh1;food-cooking-oil-1-l;HT-${rows % 997};${(rows % 500) + 1},5;l;${note}${rows}\r\n`;
    const buf = Buffer.from(line, 'latin1');
    bytes += buf.length;
    rows++;
    if (!out.write(buf)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return rows;
}

describe('files: bounded memory (slow)', () => {
  it(`reads a ${MB} MB CSV with a peak RSS growth under 150 MB`, { timeout: 180_000 }, async () => {
    const path = join(dir, 'big.csv');
    const rows = await writeBigCsv(path, MB);
    expect(statSync(path).size).toBeGreaterThan(MB * 1024 * 1024);
    // A process of its own: the measure is the read's, not the test runner's heap.
    const { stdout } = await run(process.execPath, [
      '--import',
      'tsx',
      CHILD,
      path,
      JSON.stringify({ encoding: 'latin1' }),
    ]);
    const r = JSON.parse(stdout) as {
      records: number;
      invalid: number;
      seconds: number;
      baseMb: number;
      peakMb: number;
    };
    console.log(
      `bounded memory: ${MB} MB, ${rows} rows in ${r.seconds.toFixed(1)} s; RSS ${r.baseMb} → ${r.peakMb} MB`,
    );
    expect(r.invalid).toBe(0);
    expect(r.records).toBe(rows);
    expect(r.peakMb - r.baseMb).toBeLessThan(150);
  });
});
