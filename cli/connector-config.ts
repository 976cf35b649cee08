import type { HubConfig } from './config.js';

/**
 * A built-in connector's config as the hub's own configuration implies it (the ledger URL,
 * the simulator seed…), before command-line overrides.
 */
export function connectorConfigFromHub(name: string, config: HubConfig): Record<string, unknown> {
  switch (name) {
    case 'simulator':
      return { seed: config.simulatorSeed, movements: config.simulatorMovements };
    case 'postgres-ledger':
      return config.ledgerPgUrl
        ? { url: config.ledgerPgUrl, table: config.ledgerTable }
        : { table: config.ledgerTable };
    case 'mariadb':
      return config.ministryMariadbUrl ? { url: config.ministryMariadbUrl } : {};
    default:
      return {};
  }
}
