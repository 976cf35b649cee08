export { CATALOGUE, CATEGORIES, type CatalogueProduct, type Category, PERISHABLE } from './catalogue.js';
export { DELIVERY_SITES, networkLocations, REGIONS, WAREHOUSES } from './network.js';
export { type SimulatorConfig, SimulatorConnector, simulator } from './simulator-connector.js';
