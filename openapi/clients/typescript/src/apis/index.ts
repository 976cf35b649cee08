/* tslint:disable */
/* eslint-disable */
export * from './AuditApi.js';
export * from './ConnectorsApi.js';
export * from './DeadLettersApi.js';
export * from './EquipmentApi.js';
export * from './EventsApi.js';
export * from './ExportsApi.js';
export * from './IncidentsApi.js';
export * from './IngestApi.js';
export * from './KpisApi.js';
export * from './LocationsApi.js';
export * from './LotsApi.js';
export * from './MovementsApi.js';
export * from './OrganizationsApi.js';
export * from './ProductsApi.js';
export * from './RequestsApi.js';
export * from './ShipmentsApi.js';
export * from './StockApi.js';
