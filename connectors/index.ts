/**
 * The built-in connectors, by name. `cli` looks connectors up here; a connector from outside
 * the tree implements the same `Connector` contract (connectors/sdk) and is passed directly.
 */
import { HubError } from '../core/errors/index.js';
import { apiRequests } from './api-requests/src/index.js';
import { cap } from './cap/src/index.js';
import { edxlRm } from './edxl-rm/src/index.js';
import { epcis } from './epcis/src/index.js';
import { fhir } from './fhir/src/index.js';
import { files } from './files/src/index.js';
import { mariadb } from './mariadb/src/index.js';
import { postgresLedger } from './postgres-ledger/src/index.js';
import type { Connector } from './sdk/connector.js';
import { simulator } from './simulator/src/index.js';
import { webhook } from './webhook/src/index.js';

export const builtinConnectors: Readonly<Record<string, Connector>> = Object.freeze({
  [simulator.name]: simulator,
  [postgresLedger.name]: postgresLedger,
  [epcis.name]: epcis,
  [fhir.name]: fhir,
  [cap.name]: cap,
  [edxlRm.name]: edxlRm,
  [webhook.name]: webhook,
  [files.name]: files,
  [mariadb.name]: mariadb,
  [apiRequests.name]: apiRequests,
});

/** The built-in connector called `name`; throws `HUB_ERR_CONNECTOR_UNKNOWN` (kind `config`). */
export function getConnector(name: string): Connector {
  const c = Object.hasOwn(builtinConnectors, name) ? builtinConnectors[name] : undefined;
  if (!c)
    throw new HubError('HUB_ERR_CONNECTOR_UNKNOWN', { name, known: Object.keys(builtinConnectors).sort().join(', ') });
  return c;
}

export * from './sdk/index.js';
