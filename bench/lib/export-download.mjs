/**
 * A bench client in a worker thread: downloads an export and counts its rows as they arrive
 * (Arrow record batches, or NDJSON lines), keeping no bytes, then posts
 * `{ seconds, megabytes, rows }` (or `{ error }`). In a worker so that decoding the download
 * does not run on the thread that serves it (see bench/api.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RecordBatchReader } from 'apache-arrow';

const { url, key, accept } = workerData;

async function run() {
  const t0 = performance.now();
  const res = await fetch(url, { headers: { authorization: `Bearer ${key}`, accept } });
  if (res.status !== 200 || res.body === null) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  let size = 0;
  let rows = 0;
  const body = res.body;
  async function* counted() {
    for await (const part of body) {
      size += part.byteLength;
      yield part;
    }
  }
  if (accept === 'application/vnd.apache.arrow.stream') {
    for await (const batch of await RecordBatchReader.from(counted())) rows += batch.numRows;
  } else {
    for await (const part of counted()) for (const b of part) if (b === 10) rows++;
  }
  return { seconds: (performance.now() - t0) / 1000, megabytes: size / 2 ** 20, rows };
}

run().then(
  (result) => parentPort?.postMessage(result),
  (error) => parentPort?.postMessage({ error: error instanceof Error ? error.message : String(error) }),
);
