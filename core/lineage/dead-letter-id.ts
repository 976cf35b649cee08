import { createHash } from 'node:crypto';
import type { DeadLetter } from '../ports/record-sink.js';

/**
 * The id under which every warehouse stores a dead letter: a SHA-256 (hex) over what the
 * letter says, without the failure time, so that a source row refused again after a crash or
 * a retried push is the same dead letter, stored once. The API returns these ids to a partner
 * whose records were refused; DuckDB and ClickHouse key `dead_letters` on them.
 */
export function deadLetterId(letter: Omit<DeadLetter, 'failedAt'>): string {
  // The JSON texts are hashed as the warehouse row holds them (a raw line stays a string).
  const errors = JSON.stringify(letter.errors ?? []);
  const payload = JSON.stringify(letter.payload === undefined ? null : letter.payload);
  return createHash('sha256')
    .update(
      JSON.stringify([
        letter.connector,
        letter.stream,
        letter.sourceId ?? null,
        letter.resourceType ?? null,
        errors,
        payload,
      ]),
    )
    .digest('hex');
}
