/**
 * The canonical fields a tabular source (a partner file, a ministry table) maps its columns to,
 * per resource type, with the column names and HXL hashtags that name each field by default.
 * A candidate starting with `#` is an HXL pattern (see `hxl.ts`); any other is a header,
 * compared after `normalizeKey` (case, accents and punctuation ignored: `Quantité` = `quantite`,
 * `code_entrepot` = `Code entrepôt`). For each field the first candidate that matches a
 * column wins, and among columns the leftmost.
 */

export const CANONICAL_TYPES = ['StockMovement', 'StockSnapshot', 'Location', 'Product'] as const;
export type CanonicalType = (typeof CANONICAL_TYPES)[number];

export type FieldKind = 'text' | 'number' | 'integer' | 'datetime' | 'date';

export interface FieldDef {
  readonly name: string;
  readonly kind: FieldKind;
  /** Without it, the record cannot be built. */
  readonly required?: boolean;
  /** Headers and HXL patterns that name the field when the config's `mapping` does not. */
  readonly candidates: readonly string[];
}

const f = (name: string, kind: FieldKind, candidates: readonly string[], required = false): FieldDef => ({
  name,
  kind,
  candidates,
  ...(required ? { required } : {}),
});

const ID = f('id', 'text', []);
const PRODUCT = f(
  'product',
  'text',
  [
    '#item+code-gtin',
    '#item+id',
    'product',
    'product code',
    'code article',
    'code produit',
    'article code',
    'ref article',
    'reference article',
    'code',
    'sku',
    'item code',
  ],
  true,
);
const GTIN = f('gtin', 'text', ['#item+code+gtin', '#item+gtin', 'gtin', 'ean', 'ean13', 'code barre', 'code barres']);
const PRODUCT_NAME = f('product_name', 'text', [
  '#item+name+i_fr',
  '#item+name-i_ar-i_en',
  '#item+name+i_en',
  'designation',
  'libelle',
  'libelle article',
  'article',
  'produit',
  'product name',
  'nom article',
  'item name',
]);
const PRODUCT_NAME_AR = f('product_name_ar', 'text', ['#item+name+i_ar', 'designation ar', 'designation arabe']);
const LOCATION = f(
  'location',
  'text',
  [
    '#loc+code',
    '#loc+id',
    'location',
    'code entrepot',
    'code magasin',
    'code site',
    'code depot',
    'entrepot',
    'magasin',
    'depot',
    'warehouse',
    'warehouse code',
  ],
  true,
);
const LOCATION_NAME = f('location_name', 'text', ['#loc+name+i_fr', '#loc+name-i_ar', 'nom entrepot', 'nom du site']);
const LOT = f('lot_number', 'text', [
  '#item+lot',
  '#item+batch',
  'lot',
  'n lot',
  'numero lot',
  'numero de lot',
  'batch',
]);
const EXPIRY = f('lot_expiry', 'date', [
  '#date+expiry',
  '#item+expiry',
  'date peremption',
  'date de peremption',
  'peremption',
  'date expiration',
  'expiry',
  'dlc',
  'dluo',
]);
const QUANTITY = f(
  'quantity',
  'number',
  ['#value', '#meta+quantity', '#indicator+num', '#indicator+value', 'quantity', 'quantite', 'qte', 'qty', 'nombre'],
  true,
);
const UNIT = f(
  'unit',
  'text',
  ['#item+unit', '#meta+unit', '#indicator+unit', 'unit', 'unite', 'unite de mesure', 'um', 'u m', 'uom'],
  true,
);
const ADM1_CODE = f('adm1_code', 'text', ['#adm1+code', 'code region']);
const ADM1_NAME = f('adm1_name', 'text', ['#adm1+name+i_fr', '#adm1+name-i_ar', 'region']);
const ADM1_NAME_AR = f('adm1_name_ar', 'text', ['#adm1+name+i_ar']);

export const FIELDS: Readonly<Record<CanonicalType, readonly FieldDef[]>> = {
  StockMovement: [
    ID,
    f(
      'movement_type',
      'text',
      [
        '#activity+type',
        '#meta+type',
        '#indicator+type',
        'movement type',
        'type',
        'type mouvement',
        'type de mouvement',
        'mouvement',
        'nature',
        'operation',
      ],
      true,
    ),
    f(
      'occurred_at',
      'datetime',
      ['#date-expiry', 'occurred at', 'date', 'date mouvement', 'date du mouvement', 'date operation'],
      true,
    ),
    LOCATION,
    LOCATION_NAME,
    f('counterpart', 'text', [
      '#loc+code+counterpart',
      'counterpart',
      'contrepartie',
      'provenance destination',
      'origine destination',
      'provenance',
      'destination',
    ]),
    PRODUCT,
    GTIN,
    PRODUCT_NAME,
    PRODUCT_NAME_AR,
    LOT,
    EXPIRY,
    QUANTITY,
    UNIT,
    f('reason', 'text', ['#meta+reason', '#description', 'reason', 'motif', 'raison', 'observation', 'observations']),
    f('reference', 'text', ['#meta+ref', 'reference', 'n bon', 'bon', 'bon de livraison', 'document']),
    ADM1_CODE,
    ADM1_NAME,
    ADM1_NAME_AR,
  ],
  StockSnapshot: [
    ID,
    f(
      'counted_at',
      'datetime',
      ['#date-expiry', 'counted at', 'date', 'date inventaire', 'date comptage', 'date du stock', 'date situation'],
      true,
    ),
    LOCATION,
    LOCATION_NAME,
    PRODUCT,
    GTIN,
    PRODUCT_NAME,
    PRODUCT_NAME_AR,
    LOT,
    EXPIRY,
    {
      ...QUANTITY,
      candidates: [
        ...QUANTITY.candidates,
        'stock',
        'stock disponible',
        'stock physique',
        'quantite en stock',
        'solde',
        'quantite comptee',
      ],
    },
    UNIT,
    f('method', 'text', ['method', 'methode']),
    f('counted_by', 'text', ['counted by', 'compte par', 'agent']),
    f('note', 'text', ['#description', 'note', 'observation', 'observations', 'commentaire', 'remarque']),
    ADM1_CODE,
    ADM1_NAME,
    ADM1_NAME_AR,
  ],
  Location: [
    f('id', 'text', ['#loc+code', 'id', 'code', 'code site', 'code entrepot'], true),
    f('kind', 'text', ['kind', 'type', 'type site', 'nature'], true),
    f('name_fr', 'text', ['#loc+name+i_fr', 'name fr', 'nom', 'nom fr', 'libelle', 'designation'], true),
    f('name_ar', 'text', ['#loc+name+i_ar', 'name ar', 'nom ar', 'libelle ar', 'designation ar'], true),
    f('name_en', 'text', ['#loc+name+i_en', 'name en', 'nom en']),
    f('region', 'text', ['#adm1+code', 'region', 'region id', 'code region'], true),
    f('part_of', 'text', ['part of', 'parent', 'code parent', 'rattachement']),
    f('gln', 'text', ['gln']),
    f('latitude', 'number', ['#geo+lat', 'latitude', 'lat']),
    f('longitude', 'number', ['#geo+lon', 'longitude', 'lon', 'lng']),
    f('floor_area_m2', 'number', ['floor area m2', 'surface', 'surface m2', 'superficie']),
    f('site_type', 'text', ['site type', 'type de site']),
    f('status', 'text', ['status', 'statut', 'etat']),
  ],
  Product: [
    f('id', 'text', ['#item+code', 'id', 'code', 'code article', 'code produit'], true),
    f('sku', 'text', ['sku', 'reference', 'ref']),
    GTIN,
    f(
      'name_fr',
      'text',
      ['#item+name+i_fr', 'name fr', 'nom', 'nom fr', 'designation', 'designation fr', 'libelle', 'libelle fr'],
      true,
    ),
    f('name_ar', 'text', ['#item+name+i_ar', 'name ar', 'nom ar', 'designation ar', 'libelle ar'], true),
    f('name_en', 'text', ['#item+name+i_en', 'name en', 'nom en']),
    f('category', 'text', ['category', 'categorie', 'famille'], true),
    { ...UNIT, candidates: UNIT.candidates.filter((c) => !c.startsWith('#')) },
    f('pack_size', 'number', ['pack size', 'conditionnement', 'colisage']),
    f('shelf_life_days', 'integer', ['shelf life days', 'duree de vie jours', 'duree conservation jours']),
    f('storage_class', 'text', ['storage class', 'stockage', 'classe de stockage']),
    f('criticality', 'text', ['criticality', 'criticite']),
    f('min_level', 'number', ['min level', 'stock minimum', 'stock min', 'seuil']),
    f('status', 'text', ['status', 'statut', 'etat']),
  ],
};

export function fieldDefs(type: CanonicalType): readonly FieldDef[] {
  return FIELDS[type];
}
