export {
  explainGs1,
  type Gs1Scheme,
  gs1CheckDigit,
  isValidGln,
  isValidGtin,
  isValidSscc,
  normaliseGtin14,
} from './gs1.js';
