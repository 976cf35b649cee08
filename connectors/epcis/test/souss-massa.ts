import type { EpcisConfig } from '../src/epcis-connector.js';

/** The hub's GLNs for Souss-Massa, as the simulator's network has them, for the fixtures. */
export const SOUSS_MASSA: Partial<EpcisConfig> = {
  gln_map: {
    '6118000090007': 'souss-massa-pf',
    '6118000090014': 'souss-massa-wh1',
    '6118000091011': 'souss-massa-ds1',
  },
  internal_glns: ['6118000090007', '6118000090014'],
};
