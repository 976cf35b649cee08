/**
 * One tabular source row (a partner file's row, a ministry table's row) → one canonical record:
 * StockMovement, StockSnapshot, Location or Product. Shared by the `files` and `mariadb`
 * connectors. Pure: the caller finds which column holds each field (`fields.ts`) and hands the
 * cells over; this module reads them (numbers, dates, codes in French), resolves products and
 * locations, signs movement quantities, and names every problem by the row and the column.
 *
 * A row that cannot become a record at all is refused here, each problem with the JSON pointer
 * of its column in the payload. Everything that can be carried over is, and core's validation
 * judges the rest (check digits of a GLN, units, the sign rule of a quantity).
 */
import { createHash } from 'node:crypto';
import { type ErrorCode, formatMessage } from '../../../core/errors/index.js';
import { isKnownUnit, isValidGln, isValidGtin, normaliseGtin14 } from '../../../core/index.js';
import type { CanonicalResource } from '../../../core/ports/index.js';
import type { RecordError } from '../../sdk/connector.js';
import { type CanonicalType, type FieldDef, fieldDefs } from './fields.js';
import {
  cellText,
  type DateOrder,
  type DecimalSeparator,
  formulaLead,
  isFormulaCell,
  movementType,
  normalizeKey,
  parseDate,
  parseDateTime,
  parseNumber,
  unitCode,
} from './values.js';

/** A field's cell: its value as read, and where it is (for messages and pointers). */
export interface SourceValue {
  readonly value: unknown;
  /** JSON pointer of the cell in the payload, e.g. `/values/Quantité`. */
  readonly pointer: string;
}

/** Products the source may name: by id, SKU or GTIN-14. */
export interface ProductCatalogue {
  /** Catalogue id or SKU (lower case), or GTIN-14 → product id (and its GTIN when known). */
  readonly byCode: ReadonlyMap<string, { readonly id: string; readonly gtin?: string }>;
}

export interface MappingOptions {
  readonly resourceType: CanonicalType;
  /** A value for a field that the source lacks or leaves empty. */
  readonly defaults: Readonly<Record<string, string | number>>;
  /** Per field: a source value (normalised by `normalizeKey`) → the value to use instead. */
  readonly valueMaps: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** Offset of wall-clock times that carry none, e.g. `+01:00`. */
  readonly utcOffset: string;
  readonly dateOrder: DateOrder;
  readonly decimal: DecimalSeparator;
  /** The source's field delimiter, which decides what `1,234` means (see `parseNumber`). */
  readonly delimiter: string;
  /** When given, a product must be in it or be a valid GTIN. */
  readonly products?: ProductCatalogue;
  /** What a bare counterpart code names. */
  readonly counterpartKind: 'Location' | 'Organization';
  /** Refuse text cells that a spreadsheet would run as formulas (partner files). */
  readonly refuseFormulas: boolean;
  /** Name of the encoding the text was decoded from; a U+FFFD in a cell is then refused. */
  readonly encoding?: string;
  /** Namespace of the source's own ids (`id` field): ids are hashed with it, so sources never collide. */
  readonly idNamespace: string;
  /** The `system` of the identifier that keeps the source's own id. */
  readonly identifierSystem: string;
}

export interface RowInput {
  /** The cells by field; a field no column holds is absent. */
  readonly cells: { get(field: string): SourceValue | undefined };
  /** The row in words, for messages: `row 12 of stock.csv`, `mouvements_stock id 42`. */
  readonly record: string;
  /** The record id when no `id` field is mapped (files: file + row). */
  readonly fallbackId?: string;
}

export type MappingResult =
  | { readonly ok: true; readonly record: CanonicalResource }
  | { readonly ok: false; readonly errors: readonly RecordError[] };

export const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;
const REFERENCE = /^(SupplyRequest|Shipment|Incident|StockMovement)\/[A-Za-z0-9\-.]{1,64}$/;
const PARTY = /^(Location|Organization)\/([A-Za-z0-9\-.]{1,64})$/;
const GTIN_SHAPE = /^(\d{8}|\d{12,14})$/;
const EXT = 'https://reserve-hub.ma/ext';

const SIGN: Readonly<Record<string, 1 | -1 | 0>> = {
  receipt: 1,
  'transfer-in': 1,
  return: 1,
  'donation-in': 1,
  dispatch: -1,
  'transfer-out': -1,
  loss: -1,
  damage: -1,
  'expiry-write-off': -1,
  adjustment: 0,
};

const ID_PREFIX: Readonly<Record<CanonicalType, string>> = {
  StockMovement: 'mv',
  StockSnapshot: 'ss',
  Location: '',
  Product: '',
};

/** `<prefix>-<16 hex>`: a source id, hashed with its namespace. Deterministic, collision-free in practice. */
export function hashedId(prefix: string, namespace: string, value: string): string {
  const h = createHash('sha256').update(namespace).update('\u0000').update(value).digest('hex').slice(0, 16);
  return `${prefix}-${h}`;
}

/** Vocabularies of the Location and Product enums, with the French words partners use. */
const VOCABULARY: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  kind: vocab({
    region: ['region'],
    platform: ['plateforme', 'plate forme', 'platform'],
    warehouse: ['entrepot', 'magasin', 'depot', 'warehouse'],
    zone: ['zone'],
    'delivery-site': ['site de livraison', 'point de livraison', 'site', 'delivery site'],
  }),
  site_type: vocab({
    commune: ['commune'],
    camp: ['camp'],
    hospital: ['hopital', 'hospital'],
    'health-centre': ['centre de sante', 'csr', 'dispensaire', 'health centre'],
    school: ['ecole', 'school'],
    douar: ['douar'],
    other: ['autre', 'other'],
  }),
  location_status: vocab({
    active: ['actif', 'active'],
    inactive: ['inactif', 'ferme', 'inactive'],
    planned: ['prevu', 'planifie', 'planned'],
  }),
  product_status: vocab({ active: ['actif', 'active'], inactive: ['inactif', 'inactive', 'retire'] }),
  category: vocab({
    food: ['alimentaire', 'alimentation', 'vivres', 'nourriture', 'food'],
    water: ['eau', 'water'],
    shelter: ['abri', 'hebergement', 'shelter'],
    hygiene: ['hygiene'],
    medical: ['medical', 'medicaments', 'sante', 'pharmacie'],
    energy: ['energie', 'energy'],
    equipment: ['equipement', 'materiel', 'equipment'],
    rescue: ['secours', 'sauvetage', 'rescue'],
    communication: ['communication', 'telecommunication'],
  }),
  storage_class: vocab({
    ambient: ['ambiant', 'ambiante', 'sec', 'ambient'],
    'cold-chain': ['chaine du froid', 'froid', 'refrigere', 'cold chain'],
    hazardous: ['dangereux', 'matiere dangereuse', 'hazardous'],
  }),
  criticality: vocab({
    vital: ['vital', 'vitale'],
    essential: ['essentiel', 'essentielle', 'essential'],
    desirable: ['souhaitable', 'desirable'],
  }),
  method: vocab({
    'physical-count': ['inventaire physique', 'comptage physique', 'physical count'],
    'cycle-count': ['inventaire tournant', 'cycle count'],
    'system-report': ['etat systeme', 'rapport systeme', 'system report'],
  }),
};

function vocab(words: Record<string, readonly string[]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [value, list] of Object.entries(words)) {
    out[normalizeKey(value)] = value;
    for (const w of list) out[normalizeKey(w)] = value;
  }
  return out;
}

const DEFS = new Map<CanonicalType, ReadonlyMap<string, FieldDef>>();

function defsByName(type: CanonicalType): ReadonlyMap<string, FieldDef> {
  let m = DEFS.get(type);
  if (!m) {
    m = new Map(fieldDefs(type).map((d) => [d.name, d]));
    DEFS.set(type, m);
  }
  return m;
}

/** Maps one row; never throws for bad data. */
export function mapRow(input: RowInput, options: MappingOptions): MappingResult {
  return new RowMapper(input, options).map();
}

class RowMapper {
  private readonly errors: RecordError[] = [];
  private readonly defs: ReadonlyMap<string, FieldDef>;

  constructor(
    private readonly input: RowInput,
    private readonly options: MappingOptions,
  ) {
    this.defs = defsByName(options.resourceType);
  }

  map(): MappingResult {
    const type = this.options.resourceType;
    const record =
      type === 'StockMovement'
        ? this.movement()
        : type === 'StockSnapshot'
          ? this.snapshot()
          : type === 'Location'
            ? this.location()
            : this.product();
    if (this.errors.length > 0 || record === undefined) return { ok: false, errors: this.errors };
    return { ok: true, record: record as CanonicalResource };
  }

  // ---- reading cells ------------------------------------------------------------------------

  private fail(code: ErrorCode, pointer: string, params: Record<string, string | number>): undefined {
    const all = { record: this.input.record, pointer: pointer === '' ? '(default)' : pointer, ...params };
    this.errors.push({ pointer, code, message: formatMessage(code, all) });
    return undefined;
  }

  /** The field's cell, or its default, or `undefined`; empty text counts as absent. */
  private cell(field: string): SourceValue | undefined {
    const sv = this.input.cells.get(field);
    if (sv !== undefined && !isEmpty(sv.value)) return sv;
    const d = this.options.defaults[field];
    if (d !== undefined) return { value: d, pointer: '' };
    return undefined;
  }

  private missing(field: string): undefined {
    const sv = this.input.cells.get(field);
    return this.fail('HUB_ERR_MAPPING_REQUIRED', sv?.pointer ?? `/${field}`, {
      resourceType: this.options.resourceType,
    });
  }

  /** A text field: trimmed, value-mapped; refused when it looks like a formula or holds U+FFFD. */
  private text(field: string): { value: string; pointer: string } | undefined {
    const sv = this.cell(field);
    if (sv === undefined) return undefined;
    if (this.options.refuseFormulas && isFormulaCell(sv.value)) {
      return this.fail('HUB_ERR_FILES_FORMULA_CELL', sv.pointer, { lead: '=' });
    }
    const raw = cellText(sv.value);
    if (this.options.refuseFormulas) {
      const lead = formulaLead(raw);
      if (lead !== undefined) return this.fail('HUB_ERR_FILES_FORMULA_CELL', sv.pointer, { lead });
    }
    if (this.options.encoding !== undefined && raw.includes('\uFFFD')) {
      return this.fail('HUB_ERR_FILES_ENCODING', sv.pointer, { encoding: this.options.encoding });
    }
    let value = raw.trim();
    if (value === '-' || value === '—') return undefined;
    const mapped = this.options.valueMaps.get(field)?.get(normalizeKey(value));
    if (mapped !== undefined) value = mapped;
    return value === '' ? undefined : { value, pointer: sv.pointer };
  }

  private required(field: string): { value: string; pointer: string } | undefined {
    const before = this.errors.length;
    const t = this.text(field);
    if (t === undefined && this.errors.length === before) this.missing(field);
    return t;
  }

  private number(field: string, required = false): { value: number; pointer: string } | undefined {
    const sv = this.cell(field);
    if (sv === undefined) return required ? this.missing(field) : undefined;
    const n = parseNumber(sv.value, this.options.decimal, this.options.delimiter);
    if (n === undefined) return this.badValue(sv, 'a number');
    if (this.defs.get(field)?.kind === 'integer' && !Number.isInteger(n)) return this.badValue(sv, 'a whole number');
    return { value: n, pointer: sv.pointer };
  }

  private dateTime(field: string): { value: string; pointer: string } | undefined {
    const sv = this.cell(field);
    if (sv === undefined) return this.missing(field);
    const v = parseDateTime(sv.value, this.options.utcOffset, this.options.dateOrder);
    if (v === undefined) return this.badValue(sv, `a date or date-time (${dateHint(this.options.dateOrder)})`);
    return { value: v, pointer: sv.pointer };
  }

  private date(field: string): string | undefined {
    const sv = this.cell(field);
    if (sv === undefined) return undefined;
    const v = parseDate(sv.value, this.options.dateOrder);
    if (v === undefined) return this.badValue(sv, `a date (${dateHint(this.options.dateOrder)})`);
    return v;
  }

  private badValue(sv: SourceValue, expected: string): undefined {
    return this.fail('HUB_ERR_MAPPING_VALUE', sv.pointer, { value: quote(sv.value), expected });
  }

  /** A code from a closed vocabulary (French words accepted). */
  private code(field: string, vocabulary: string, required: boolean): string | undefined {
    const t = required ? this.required(field) : this.text(field);
    if (t === undefined) return undefined;
    const words = VOCABULARY[vocabulary] as Readonly<Record<string, string>>;
    const v = words[normalizeKey(t.value)];
    if (v === undefined) {
      return this.fail('HUB_ERR_MAPPING_CODE_UNKNOWN', t.pointer, {
        code: quote(t.value),
        expected: [...new Set(Object.values(words))].join(', '),
      });
    }
    return v;
  }

  /** An id the hub's references use as is: letters, digits, `-`, `.`. */
  private idValue(t: { value: string; pointer: string }, what: string): string | undefined {
    if (ID_PATTERN.test(t.value)) return t.value;
    return this.fail('HUB_ERR_MAPPING_VALUE', t.pointer, {
      value: quote(t.value),
      expected: `${what} id (1 to 64 letters, digits, "-" or ".")`,
    });
  }

  /** The record id: the source's own id hashed in its namespace, else the caller's. */
  private recordId(): { id: string; identifier?: { system: string; value: string } } | undefined {
    const t = this.text('id');
    if (t !== undefined) {
      return {
        id: hashedId(ID_PREFIX[this.options.resourceType], this.options.idNamespace, t.value),
        identifier: { system: this.options.identifierSystem, value: t.value },
      };
    }
    if (this.input.fallbackId !== undefined) return { id: this.input.fallbackId };
    return this.missing('id');
  }

  // ---- products and places ----------------------------------------------------------------

  /** The product reference (and its GTIN) from the product cell, else from the GTIN cell. */
  private productOf(): { reference: string; gtin?: string } | undefined {
    const gtinCell = this.text('gtin');
    let gtin: string | undefined;
    if (gtinCell !== undefined) {
      gtin = this.gtin(gtinCell);
      if (gtin === undefined) return undefined;
    }
    const before = this.errors.length;
    const p = this.text('product');
    const catalogue = this.options.products;
    if (p === undefined) {
      if (gtin !== undefined)
        return { reference: `Product/${catalogue?.byCode.get(gtin)?.id ?? `gtin-${gtin}`}`, gtin };
      return this.errors.length === before ? this.missing('product') : undefined;
    }
    const known = catalogue?.byCode.get(p.value.toLowerCase());
    if (known) return { reference: `Product/${known.id}`, ...withGtin(gtin ?? known.gtin) };
    if (GTIN_SHAPE.test(p.value)) {
      const fromCode = this.gtin(p);
      if (fromCode === undefined) return undefined;
      const id = catalogue?.byCode.get(fromCode)?.id ?? `gtin-${fromCode}`;
      return { reference: `Product/${id}`, gtin: gtin ?? fromCode };
    }
    if (catalogue !== undefined) {
      return this.fail('HUB_ERR_MAPPING_PRODUCT_UNKNOWN', p.pointer, {
        value: quote(p.value),
        reason: 'neither a product of the catalogue nor a valid GTIN',
      });
    }
    if (!ID_PATTERN.test(p.value)) {
      return this.fail('HUB_ERR_MAPPING_PRODUCT_UNKNOWN', p.pointer, {
        value: quote(p.value),
        reason: 'neither a product id (letters, digits, "-", ".") nor a GTIN',
      });
    }
    return { reference: `Product/${p.value}`, ...withGtin(gtin) };
  }

  private gtin(t: { value: string; pointer: string }): string | undefined {
    const digits = t.value.replace(/\s/g, '');
    const g14 = GTIN_SHAPE.test(digits) && isValidGtin(digits) ? normaliseGtin14(digits) : undefined;
    if (g14 !== undefined) return g14;
    return this.fail('HUB_ERR_MAPPING_IDENTIFIER', t.pointer, {
      scheme: 'GTIN',
      value: quote(t.value),
      reason: GTIN_SHAPE.test(digits) ? 'wrong check digit' : 'a GTIN has 8, 12, 13 or 14 digits',
    });
  }

  /** A location id, or `gln-<GLN>` for a GLN (as the EPCIS connector keeps unmapped GLNs). */
  private locationId(field: string, required: boolean): { id: string; pointer: string } | undefined {
    const t = required ? this.required(field) : this.text(field);
    if (t === undefined) return undefined;
    if (/^\d{13}$/.test(t.value) && isValidGln(t.value)) return { id: `gln-${t.value}`, pointer: t.pointer };
    if (ID_PATTERN.test(t.value)) return { id: t.value, pointer: t.pointer };
    return this.fail('HUB_ERR_MAPPING_LOCATION_UNKNOWN', t.pointer, {
      value: quote(t.value),
      reason: 'neither a location id (letters, digits, "-", ".") nor a GLN',
    });
  }

  private counterpart(): string | undefined {
    const t = this.text('counterpart');
    if (t === undefined) return undefined;
    const explicit = PARTY.exec(t.value);
    if (explicit) return t.value;
    if (/^\d{13}$/.test(t.value) && isValidGln(t.value)) return `Location/gln-${t.value}`;
    if (ID_PATTERN.test(t.value)) return `${this.options.counterpartKind}/${t.value}`;
    return this.fail('HUB_ERR_MAPPING_LOCATION_UNKNOWN', t.pointer, {
      value: quote(t.value),
      reason: 'neither Location/<id>, Organization/<id>, an id nor a GLN',
    });
  }

  private unit(): string | undefined {
    const t = this.required('unit');
    return t === undefined ? undefined : unitCode(t.value, isKnownUnit);
  }

  private lot(): Record<string, string> | undefined {
    const lot = this.text('lot_number');
    const expiry = this.date('lot_expiry');
    if (lot === undefined) return undefined;
    return expiry === undefined ? { lotNumber: lot.value } : { lotNumber: lot.value, expiry };
  }

  /** Region and names the model has no field for on this resource, kept as extensions. */
  private extensions(out: Record<string, unknown>[]): void {
    const adm1Code = this.text('adm1_code');
    if (adm1Code) out.push({ url: `${EXT}/adm1-code`, valueCode: adm1Code.value });
    const adm1Name = this.text('adm1_name');
    if (adm1Name) out.push({ url: `${EXT}/adm1-name`, valueString: adm1Name.value });
    const adm1NameAr = this.text('adm1_name_ar');
    if (adm1NameAr) out.push({ url: `${EXT}/adm1-name-ar`, valueString: adm1NameAr.value });
  }

  /** Product and location references with their names as `display`. */
  private displayed(reference: string, display: string | undefined): Record<string, string> {
    return display === undefined ? { reference } : { reference, display: display.slice(0, 1024) };
  }

  private goods(): {
    product?: Record<string, string>;
    gtin?: string;
    location?: Record<string, string>;
    extension: Record<string, unknown>[];
  } {
    const extension: Record<string, unknown>[] = [];
    const location = this.locationId('location', true);
    const locationName = this.text('location_name')?.value;
    const product = this.productOf();
    const nameFr = this.text('product_name')?.value;
    const nameAr = this.text('product_name_ar')?.value;
    if (nameAr !== undefined && nameFr !== undefined)
      extension.push({ url: `${EXT}/product-name-ar`, valueString: nameAr });
    this.extensions(extension);
    // Built field by field: spreads cost more than the rest of the row at 10⁵ rows.
    const out: {
      product?: Record<string, string>;
      gtin?: string;
      location?: Record<string, string>;
      extension: Record<string, unknown>[];
    } = { extension };
    if (product) {
      out.product = this.displayed(product.reference, nameFr ?? nameAr);
      if (product.gtin) out.gtin = product.gtin;
    }
    if (location) out.location = this.displayed(`Location/${location.id}`, locationName);
    return out;
  }

  // ---- resources ----------------------------------------------------------------------------

  private movement(): Record<string, unknown> | undefined {
    const id = this.recordId();
    const typeCell = this.required('movement_type');
    let type: string | undefined;
    if (typeCell) {
      type = movementType(typeCell.value);
      if (type === undefined) {
        this.fail('HUB_ERR_MAPPING_CODE_UNKNOWN', typeCell.pointer, {
          code: quote(typeCell.value),
          expected: `a movement type (${Object.keys(SIGN).join(', ')}) or a French word for one (réception, sortie, perte…)`,
        });
      }
    }
    const occurredAt = this.dateTime('occurred_at');
    const goods = this.goods();
    const counterpart = this.counterpart();
    const lot = this.lot();
    const quantity = this.number('quantity', true);
    const unit = this.unit();
    const reason = this.text('reason')?.value;
    const reference = this.text('reference')?.value;
    if (this.errors.length > 0 || !id || !type || !occurredAt || !quantity || !unit) return undefined;

    const sign = SIGN[type] as 1 | -1 | 0;
    // A magnitude takes the type's sign; a value already negative is kept, and core's sign
    // rule refuses it where it cannot be (a receipt of -5).
    const value = sign === 0 || quantity.value < 0 ? quantity.value : sign * quantity.value;
    const record: Record<string, unknown> = { resourceType: 'StockMovement', id: id.id };
    if (id.identifier) record.identifier = [id.identifier];
    record.movementType = type;
    record.occurredAt = occurredAt.value;
    record.location = goods.location;
    if (counterpart) record.counterpart = { reference: counterpart };
    record.product = goods.product;
    if (goods.gtin) record.gtin = goods.gtin;
    if (lot) record.lot = lot;
    record.quantity = { value: value === 0 ? 0 : value, unit };
    if (reason) record.reason = reason.slice(0, 1024);
    if (reference) {
      if (REFERENCE.test(reference)) record.references = [{ reference }];
      else goods.extension.push({ url: `${EXT}/source-reference`, valueString: reference.slice(0, 8192) });
    }
    if (goods.extension.length > 0) record.extension = goods.extension;
    return record;
  }

  private snapshot(): Record<string, unknown> | undefined {
    const id = this.recordId();
    const countedAt = this.dateTime('counted_at');
    const goods = this.goods();
    const lot = this.lot();
    const quantity = this.number('quantity', true);
    const unit = this.unit();
    const method = this.code('method', 'method', false);
    const countedBy = this.text('counted_by')?.value;
    const note = this.text('note')?.value;
    if (this.errors.length > 0 || !id || !countedAt || !quantity || !unit) return undefined;
    const record: Record<string, unknown> = { resourceType: 'StockSnapshot', id: id.id };
    if (id.identifier) record.identifier = [id.identifier];
    record.location = goods.location;
    record.product = goods.product;
    if (goods.gtin) record.gtin = goods.gtin;
    if (lot) record.lot = lot;
    record.countedAt = countedAt.value;
    record.quantity = { value: quantity.value, unit };
    if (method) record.method = method;
    if (countedBy) record.countedBy = countedBy.slice(0, 256);
    if (note) record.note = note.slice(0, 2048);
    if (goods.extension.length > 0) record.extension = goods.extension;
    return record;
  }

  private location(): Record<string, unknown> | undefined {
    const idCell = this.required('id');
    const id = idCell ? this.idValue(idCell, 'a location') : undefined;
    const kind = this.code('kind', 'kind', true);
    const fr = this.required('name_fr')?.value;
    const ar = this.required('name_ar')?.value;
    const en = this.text('name_en')?.value;
    const regionCell = this.required('region');
    let region: string | undefined;
    if (regionCell) {
      region = /^[a-z0-9]+(-[a-z0-9]+)*$/.test(regionCell.value)
        ? regionCell.value
        : this.fail('HUB_ERR_MAPPING_VALUE', regionCell.pointer, {
            value: quote(regionCell.value),
            expected: 'a region slug such as souss-massa',
          });
    }
    const partOf = this.locationId('part_of', false);
    const gln = this.text('gln');
    const lat = this.number('latitude');
    const lon = this.number('longitude');
    const area = this.number('floor_area_m2');
    const siteType = this.code('site_type', 'site_type', false);
    const status = this.code('status', 'location_status', false);
    if (this.errors.length > 0 || !id || !kind || !fr || !ar || !region) return undefined;
    const record: Record<string, unknown> = {
      resourceType: 'Location',
      id,
      kind,
      name: { fr, ar, ...(en ? { en } : {}) },
      regionId: region,
    };
    if (partOf) record.partOf = { reference: `Location/${partOf.id}` };
    if (gln) record.gln = gln.value;
    if (lat && lon) record.position = { latitude: lat.value, longitude: lon.value };
    if (area) record.floorAreaM2 = area.value;
    if (siteType) record.siteType = siteType;
    if (status) record.status = status;
    return record;
  }

  private product(): Record<string, unknown> | undefined {
    const idCell = this.required('id');
    const id = idCell ? this.idValue(idCell, 'a product') : undefined;
    const sku = this.text('sku')?.value ?? id;
    const gtinCell = this.text('gtin');
    const gtin = gtinCell ? this.gtin(gtinCell) : undefined;
    const fr = this.required('name_fr')?.value;
    const ar = this.required('name_ar')?.value;
    const en = this.text('name_en')?.value;
    const category = this.code('category', 'category', true);
    const unit = this.unit();
    const packSize = this.number('pack_size');
    const shelfLife = this.number('shelf_life_days');
    const storage = this.code('storage_class', 'storage_class', false);
    const criticality = this.code('criticality', 'criticality', false);
    const minLevel = this.number('min_level');
    const status = this.code('status', 'product_status', false);
    if (this.errors.length > 0 || !id || !sku || !fr || !ar || !category || !unit) return undefined;
    const record: Record<string, unknown> = {
      resourceType: 'Product',
      id,
      sku: sku.slice(0, 64),
      ...(gtin ? { gtin } : {}),
      name: { fr, ar, ...(en ? { en } : {}) },
      category,
      unit,
    };
    if (packSize) record.packSize = packSize.value;
    if (shelfLife) record.shelfLifeDays = shelfLife.value;
    if (storage) record.storageClass = storage;
    if (criticality) record.criticality = criticality;
    if (minLevel) record.minLevel = minLevel.value;
    if (status) record.status = status;
    return record;
  }
}

function withGtin(gtin: string | undefined): { gtin?: string } {
  return gtin === undefined ? {} : { gtin };
}

function isEmpty(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === 'string' && v.trim() === '');
}

function quote(v: unknown): string {
  const t = cellText(v);
  return JSON.stringify(t.length > 80 ? `${t.slice(0, 77)}…` : t);
}

function dateHint(order: DateOrder): string {
  return order === 'mdy' ? 'MM/DD/YYYY or YYYY-MM-DD' : order === 'ymd' ? 'YYYY-MM-DD' : 'DD/MM/YYYY or YYYY-MM-DD';
}
