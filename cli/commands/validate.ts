import { HubError } from '../../core/errors/index.js';
import { RESOURCE_TYPES, type ResourceType, validateFile } from '../../core/index.js';

/**
 * `hub validate <ResourceType> <file>`: reads a JSON document (one resource or an array) or
 * NDJSON, checks every record, and prints one JSON line per invalid record with its errors.
 * Exit 0 when all are valid, 1 otherwise. It never stops at the first bad record.
 */
export async function validateCommand(resourceType: string, file: string): Promise<number> {
  if (!(RESOURCE_TYPES as readonly string[]).includes(resourceType)) {
    throw new HubError('HUB_ERR_MODEL_UNKNOWN_RESOURCE', { resourceType });
  }
  let total = 0;
  let invalid = 0;
  for await (const result of validateFile(resourceType as ResourceType, file)) {
    total++;
    if (!result.valid) {
      invalid++;
      process.stdout.write(`${JSON.stringify(result)}\n`);
    }
  }
  process.stderr.write(`${total - invalid} valid, ${invalid} invalid, of ${total} record(s)\n`);
  return invalid === 0 ? 0 : 1;
}
