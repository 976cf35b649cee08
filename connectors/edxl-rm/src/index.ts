export { type EdxlRmConfig, EdxlRmConnector, edxlRm, mapRmSource } from './rm-connector.js';
export {
  mapRmDocument,
  RM_CONNECTOR,
  RM_EXTENSION,
  RM_MESSAGE_ID_SYSTEM,
  RM_RESOURCE_ID_SYSTEM,
  RM_STREAM,
  type RmMappingConfig,
  rmRequestId,
  rmShipmentId,
} from './rm-mapping.js';
export {
  priorityFromLeadTime,
  priorityOf,
  RM_MAPPED_TYPES,
  RM_MESSAGE_TYPES,
  RM_MSG_NS,
  RM_NS,
  shipmentStatusOf,
  unitOf,
} from './rm-vocabulary.js';
