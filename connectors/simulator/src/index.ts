export { SimulatorConnector, simulator, type SimulatorConfig } from './simulator-connector.js';
export { CATALOGUE, CATEGORIES, PERISHABLE, type CatalogueProduct, type Category } from './catalogue.js';
export { DELIVERY_SITES, REGIONS, WAREHOUSES, networkLocations } from './network.js';
