export { ReplayCache } from './replay-cache.js';
export {
  HEADERS,
  signature,
  signDelivery,
  type VerifiedDelivery,
  verifyDelivery,
  type WebhookPartner,
} from './signature.js';
export { type SpooledDelivery, type WebhookConfig, WebhookConnector, webhook } from './webhook-connector.js';
export { mapDelivery, partnerSourceSystem, resourcesOf, WEBHOOK_CONNECTOR, WEBHOOK_STREAM } from './webhook-mapping.js';
