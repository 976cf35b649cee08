/**
 * A child process for duckdb-warehouse.test.ts (run with tsx; not part of the product).
 *
 *   tsx duckdb-crash.fixture.ts <dataDir> crash   commits batch A, then dies by SIGKILL inside
 *                                                batch B's transaction, just before COMMIT
 *   tsx duckdb-crash.fixture.ts <dataDir> hold    opens the file, says "ready", and waits
 */
import { DuckDBConnection } from '@duckdb/node-api';
import type { CanonicalResource } from '../../core/ports/index.js';
import { DuckDbWarehouse } from './duckdb-warehouse.js';

const [dataDir, mode] = process.argv.slice(2);
if (dataDir === undefined || (mode !== 'crash' && mode !== 'hold')) {
  process.stderr.write('usage: duckdb-crash.fixture.ts <dataDir> crash|hold\n');
  process.exit(2);
}

function movements(prefix: string, count: number): CanonicalResource[] {
  return Array.from({ length: count }, (_, i) => ({
    resourceType: 'StockMovement',
    id: `${prefix}-${i}`,
    movementType: 'receipt',
    occurredAt: new Date(Date.UTC(2026, 1, 1) + i * 1000).toISOString(),
    location: { reference: 'Location/souss-massa-wh1' },
    product: { reference: 'Product/water-5l' },
    quantity: { value: 1, unit: 'EA' },
  }));
}

const warehouse = new DuckDbWarehouse({ dataDir });
await warehouse.init();

if (mode === 'hold') {
  process.stdout.write('ready\n');
  setInterval(() => undefined, 1_000);
} else {
  await warehouse.write({
    connector: 'crash',
    stream: 'movements',
    records: movements('a', 1_000),
    deadLetters: [],
    state: { cursor: 'A' },
  });
  // Die at the last moment of batch B: every row and the new state are written inside the
  // transaction, and COMMIT has not run. SIGKILL leaves no chance to clean up.
  const run = DuckDBConnection.prototype.run;
  DuckDBConnection.prototype.run = function (this: DuckDBConnection, ...args: Parameters<typeof run>) {
    if (args[0] === 'COMMIT') {
      process.stdout.write('dying before COMMIT\n');
      process.kill(process.pid, 'SIGKILL');
    }
    return run.apply(this, args);
  };
  await warehouse.write({
    connector: 'crash',
    stream: 'movements',
    records: movements('b', 20_000),
    deadLetters: [
      {
        connector: 'crash',
        stream: 'movements',
        errors: [{ pointer: '', code: 'x', message: 'x' }],
        payload: 'raw line',
        failedAt: new Date().toISOString(),
      },
    ],
    state: { cursor: 'B' },
  });
  process.stdout.write('batch B committed: the crash did not happen\n');
}
