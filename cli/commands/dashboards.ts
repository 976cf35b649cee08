import { loadDashboards } from '../../dashboards/definitions.js';
import { DEFAULT_DATABASE_NAME, provisionDashboards } from '../../dashboards/provision.js';

/**
 * `hub dashboards provision`: creates or updates the Metabase collection, cards and dashboards
 * of `dashboards/definitions/` (idempotent). Prints one line per object: created, updated or
 * unchanged (with `--dry-run`: what a real run would do, writing nothing). Errors are catalogue
 * `HubError`s, printed by cli/main.ts.
 */
export async function dashboardsProvisionCommand(opts: {
  metabaseUrl: string;
  user: string;
  password: string;
  databaseName?: string | undefined;
  dryRun?: boolean | undefined;
}): Promise<number> {
  const dashboards = loadDashboards();
  const actions = await provisionDashboards(dashboards, {
    metabaseUrl: opts.metabaseUrl,
    user: opts.user,
    password: opts.password,
    databaseName: opts.databaseName ?? DEFAULT_DATABASE_NAME,
    dryRun: opts.dryRun === true,
  });
  const verb = opts.dryRun === true ? 'would be ' : '';
  for (const a of actions) {
    const outcome = a.outcome === 'unchanged' ? 'unchanged' : `${verb}${a.outcome}`;
    process.stdout.write(`${a.kind} ${a.key}: ${outcome}${a.id === undefined ? '' : ` (#${a.id})`}\n`);
  }
  const changed = actions.filter((a) => a.outcome !== 'unchanged').length;
  process.stdout.write(
    `${dashboards.length} dashboards, ${actions.filter((a) => a.kind === 'card').length} cards: ${changed} ${verb}changed, ${actions.length - changed} unchanged\n`,
  );
  return 0;
}
