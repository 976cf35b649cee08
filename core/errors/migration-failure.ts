import type { MigrationStepResult } from '../ports/warehouse.js';
import { HubError } from './hub-error.js';

/**
 * The error for a migration report whose run failed (`HUB_ERR_WAREHOUSE_MIGRATION`, naming the
 * first failed step), or `undefined` when every step applied or was skipped. Migrators report
 * per step instead of throwing; callers that must stop on a failure throw this.
 */
export function migrationFailure(steps: readonly MigrationStepResult[], engine: string): HubError | undefined {
  const failed = steps.find((s) => s.status === 'failed');
  if (failed === undefined) return undefined;
  return new HubError(
    'HUB_ERR_WAREHOUSE_MIGRATION',
    { name: failed.name, engine, reason: failed.error ?? 'unknown' },
    failed.error === undefined ? {} : { detail: failed.error },
  );
}
