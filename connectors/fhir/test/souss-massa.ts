import type { FhirConfig } from '../src/fhir-connector.js';

/** A partner config for the fixtures: the hub's Souss-Massa GLNs and one partner product code. */
export const SOUSS_MASSA_FHIR: Partial<FhirConfig> = {
  source_system: 'fhir:souss-massa-partners',
  gln_map: {
    '6118000090014': 'souss-massa-wh1',
    '6118000090021': 'souss-massa-wh2',
    '6118000091011': 'souss-massa-ds1',
    '6118000091028': 'souss-massa-ds2',
  },
  product_code_map: { 'https://hpt.sante.gov.ma/fhir/articles|ART-00412': 'medical-ors-20.5-g' },
};
