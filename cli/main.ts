import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { isHubError } from '../core/errors/index.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('hub')
  .description('Reserve Hub: interoperability hub and reporting platform for the national emergency reserves')
  .version(pkg.version)
  .option('-c, --config <file>', 'configuration file (JSON or YAML); HUB_* variables override it')
  .showHelpAfterError();

const globalConfigFile = (): string | undefined => program.opts<{ config?: string }>().config;

program
  .command('start')
  .description('run the all-in-one hub: connectors, pipeline, API and situation room')
  .option('-p, --port <port>', 'API port (overrides HUB_PORT)')
  .action(async (opts: { port?: string }) => {
    const { startCommand } = await import('./commands/start.js');
    await startCommand({ file: globalConfigFile(), port: opts.port });
  });

program
  .command('sink')
  .description('run the Kafka → ClickHouse sink as its own process (distributed mode)')
  .action(async () => {
    const { sinkCommand } = await import('./commands/sink.js');
    await sinkCommand({ file: globalConfigFile() });
  });

program
  .command('migrate')
  .description('create or upgrade the warehouse schema (and Kafka topics in distributed mode)')
  .option('--cluster <name>', 'ClickHouse cluster of the schema (default: HUB_CLICKHOUSE_CLUSTER)')
  .option('--print', 'print the ClickHouse schema as SQL instead of applying it (no server needed)')
  .action(async (opts: { cluster?: string; print?: boolean }) => {
    const { migrateCommand } = await import('./commands/migrate.js');
    process.exitCode = await migrateCommand({ file: globalConfigFile(), cluster: opts.cluster, print: opts.print });
  });

program
  .command('ingest <connector>')
  .description('run one connector once into the configured warehouse, then exit')
  .option('--file <path>', "input file: pushed as one document to a push connector, or a pull connector's path")
  .option('--content-type <type>', 'media type of --file for a push connector (default: from its extension)')
  .option('--config-json <json>', 'connector config as JSON (merged over defaults)')
  .addOption(new Option('--seed <n>', 'simulator seed').argParser(Number))
  .addOption(new Option('--movements <n>', 'simulator movements').argParser(Number))
  .action(
    async (
      connector: string,
      opts: { file?: string; contentType?: string; configJson?: string; seed?: number; movements?: number },
    ) => {
      const { ingestCommand } = await import('./commands/ingest.js');
      const { file: inputFile, ...rest } = opts;
      process.exitCode = await ingestCommand({ ...rest, file: globalConfigFile(), connector, inputFile });
    },
  );

program
  .command('validate <resourceType> <file>')
  .description('validate a JSON or NDJSON file of canonical resources; prints one JSON line per invalid record')
  .action(async (resourceType: string, file: string) => {
    const { validateCommand } = await import('./commands/validate.js');
    process.exitCode = await validateCommand(resourceType, file);
  });

program
  .command('connector')
  .description('connector tooling')
  .command('new <name>')
  .description('scaffold connectors/<name>/: a working connector, its spec, README and a passing conformance test')
  .option('--dir <root>', 'project root to create it under (default: this checkout)')
  .action(async (name: string, opts: { dir?: string }) => {
    const { connectorNewCommand } = await import('./commands/connector-new.js');
    process.exitCode = connectorNewCommand({ name, ...(opts.dir === undefined ? {} : { root: opts.dir }) });
  });

program
  .command('dashboards')
  .description('Metabase dashboards as code (dashboards/definitions)')
  .command('provision')
  .description('create or update the Metabase collection, cards and dashboards (idempotent)')
  .addOption(
    new Option('--metabase-url <url>', 'Metabase base URL, e.g. http://localhost:3000')
      .env('HUB_METABASE_URL')
      .makeOptionMandatory(),
  )
  .addOption(
    new Option('--user <email>', 'Metabase administrator e-mail').env('HUB_METABASE_USER').makeOptionMandatory(),
  )
  // Prefer the variable: an option's value shows in the process list.
  .addOption(
    new Option('--password <password>', 'Metabase administrator password')
      .env('HUB_METABASE_PASSWORD')
      .makeOptionMandatory(),
  )
  .option('--database-name <name>', 'display name of the ClickHouse warehouse in Metabase', 'Reserve Hub (ClickHouse)')
  .option('--dry-run', 'report what would change, write nothing')
  .action(
    async (opts: { metabaseUrl: string; user: string; password: string; databaseName: string; dryRun?: boolean }) => {
      const { dashboardsProvisionCommand } = await import('./commands/dashboards.js');
      process.exitCode = await dashboardsProvisionCommand(opts);
    },
  );

const keys = program.command('keys').description('manage API keys');
keys
  .command('create')
  .description('create an API key and print it once')
  .requiredOption('--name <name>', 'who the key is for, e.g. "Croissant-Rouge Souss-Massa"')
  .option('--scopes <list>', 'comma-separated: read, ingest, requests:write, admin', 'read')
  .option('--regions <list>', 'comma-separated region slugs the key may see (default: all)')
  .option('--organisations <list>', 'comma-separated organisation ids the key acts for')
  .action(async (opts: { name: string; scopes: string; regions?: string; organisations?: string }) => {
    const { keysCreate } = await import('./commands/keys.js');
    await keysCreate({ file: globalConfigFile(), ...opts });
  });
keys
  .command('list')
  .description('list API keys (never their secrets)')
  .action(async () => {
    const { keysList } = await import('./commands/keys.js');
    await keysList({ file: globalConfigFile() });
  });
keys
  .command('revoke <id>')
  .description('revoke an API key by id')
  .action(async (id: string) => {
    const { keysRevoke } = await import('./commands/keys.js');
    process.exitCode = await keysRevoke({ file: globalConfigFile(), id });
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (isHubError(error)) {
    process.stderr.write(`hub: ${error.code}: ${error.message}\n`);
    process.exit(error.kind === 'config' ? 2 : 1);
  }
  throw error;
}
