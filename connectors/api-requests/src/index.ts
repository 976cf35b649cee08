export {
  API_REQUESTS_CONNECTOR,
  API_REQUESTS_STREAM,
  type ApiRequestsConfig,
  ApiRequestsConnector,
  apiRequests,
  canonicalRequest,
  mapRequests,
} from './api-requests-connector.js';
