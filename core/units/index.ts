export {
  areCompatible,
  type ConversionResult,
  convert,
  type Dimension,
  isKnownUnit,
  knownUnits,
  tryConvert,
  UNIT_SYSTEM_URIS,
  type UnitInfo,
  type UnitSystem,
  unitInfo,
} from './units.js';
