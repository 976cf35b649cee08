/**
 * Reading the values of partner files and ministry tables as people write them: French decimal
 * commas and thousands separators, day-first dates, Excel serial dates, movement types and
 * units in French. Pure functions; each returns `undefined` for what it cannot read, and the
 * caller names the row and the column.
 */

/** A spreadsheet formula cell as exceljs reads it: the formula and its cached result. */
export interface FormulaCell {
  readonly formula: string;
  readonly result?: unknown;
}

export function isFormulaCell(v: unknown): v is FormulaCell {
  return typeof v === 'object' && v !== null && typeof (v as { formula?: unknown }).formula === 'string';
}

/**
 * Lower case, accents and punctuation removed, runs of other characters as one space:
 * `Quantité (kg)` → `quantite kg`, `N° de lot` → `n de lot`, `code_entrepot` → `code entrepot`.
 */
export function normalizeKey(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/**
 * `fn` with its results kept for the last few thousand distinct inputs: partner files repeat
 * the same movement types, units and dates on row after row, and reading them is not free.
 */
export function memoize<V>(fn: (s: string) => V, max = 4096): (s: string) => V {
  const cache = new Map<string, V>();
  return (s: string) => {
    let v = cache.get(s);
    if (v === undefined && !cache.has(s)) {
      v = fn(s);
      if (cache.size >= max) cache.clear();
      cache.set(s, v);
    }
    return v as V;
  };
}

/** A cell as text, for text fields and messages: rich text joined, a formula's own text. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) return wallClock(v);
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (isFormulaCell(v)) return `=${v.formula}`;
  if (typeof v === 'object') {
    const o = v as { richText?: { text?: unknown }[]; text?: unknown; error?: unknown; result?: unknown };
    if (Array.isArray(o.richText)) return o.richText.map((r) => String(r.text ?? '')).join('');
    if (typeof o.text === 'string') return o.text; // a hyperlink cell: its text
    if (typeof o.error === 'string') return o.error;
  }
  return String(v);
}

/**
 * The leading character of a text that a spreadsheet would run as a formula (OWASP "CSV
 * injection"): `=`, `+`, `-`, `@`, or a leading tab or carriage return. A lone `-` (a dash for
 * "none") is not one.
 */
export function formulaLead(text: string): string | undefined {
  const first = text.charAt(0);
  if (first === '\t' || first === '\r') return first === '\t' ? 'a tab' : 'a carriage return';
  const t = text.trimStart();
  const lead = t.charAt(0);
  if ((lead === '=' || lead === '+' || lead === '-' || lead === '@') && t.trim().length > 1) return lead;
  return undefined;
}

export type DecimalSeparator = 'auto' | '.' | ',';

const PLAIN_NUMBER = /^-?\d{1,15}(\.\d{1,15})?$/;
const COMMA_DECIMAL = /^-?\d{1,15},\d{1,15}$/;

// Spaces people and spreadsheets put between thousands: space, no-break space, narrow no-break space, apostrophe.
const GROUPING = /[\s\u00a0\u202f']/g;

/**
 * A number as partners write it: `12.5`, `12,5`, `1 234,50`, `1.234,50`, `1,234.50`, `-3`.
 * With `auto`, when both `.` and `,` appear the last one is the decimal separator; a lone `,`
 * is decimal unless the field delimiter is `,` and it groups exactly three digits (`1,234`);
 * repeated separators of one kind group thousands.
 */
export function parseNumber(v: unknown, decimal: DecimalSeparator = 'auto', delimiter = ';'): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'bigint') return Number(v);
  if (isFormulaCell(v)) return parseNumber(v.result, decimal, delimiter);
  if (typeof v !== 'string') return undefined;
  // The common case, a plain integer or decimal, without the regular expressions below.
  if (PLAIN_NUMBER.test(v) && (decimal !== ',' || !v.includes('.'))) return Number(v);
  if (COMMA_DECIMAL.test(v) && decimal !== '.' && !(decimal === 'auto' && delimiter === ',' && /,\d{3}$/.test(v))) {
    return Number(v.replace(',', '.'));
  }
  let s = v.replace(GROUPING, '');
  if (s === '') return undefined;
  let sign = '';
  if (s.startsWith('-') || s.startsWith('+')) {
    sign = s[0] === '-' ? '-' : '';
    s = s.slice(1);
  }
  if (!/^[0-9.,]*[0-9][0-9.,]*$/.test(s)) return undefined;
  const dots = count(s, '.');
  const commas = count(s, ',');
  let dec: '.' | ',' | undefined;
  if (decimal !== 'auto') dec = decimal;
  else if (dots > 0 && commas > 0) dec = s.lastIndexOf(',') > s.lastIndexOf('.') ? ',' : '.';
  else if (commas === 1) dec = delimiter === ',' && /^\d{1,3},\d{3}$/.test(s) ? '.' : ',';
  else if (dots === 1) dec = '.';
  else dec = dots > 1 ? ',' : '.';
  const group = dec === '.' ? ',' : '.';
  if (count(s, dec) > 1) return undefined;
  const parts = s.split(dec);
  const whole = parts[0] as string;
  if (whole.includes(group) && !/^\d{1,3}(\D\d{3})+$/.test(whole)) return undefined;
  const text = `${sign}${whole.split(group).join('')}${parts.length > 1 ? `.${parts[1]}` : ''}`;
  if ((parts[1] ?? '').includes(group)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

function count(s: string, ch: string): number {
  let n = 0;
  for (let i = s.indexOf(ch); i !== -1; i = s.indexOf(ch, i + 1)) n++;
  return n;
}

export type DateOrder = 'dmy' | 'mdy' | 'ymd';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** A JS Date read from a spreadsheet (wall-clock time stored as UTC) as `YYYY-MM-DDTHH:MM:SS[.mmm]`. */
function wallClock(d: Date): string {
  const ms = d.getUTCMilliseconds();
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${ms ? `.${pad(ms, 3)}` : ''}`
  );
}

/** Excel's serial day number (1900 date system) as a wall-clock Date. */
function fromExcelSerial(serial: number): Date | undefined {
  // 1 = 1900-01-01; Excel counts a 29 February 1900 that never was, hence the epoch 1899-12-30.
  if (!(serial >= 1 && serial < 2_958_466)) return undefined;
  return new Date(Math.round((serial - 25_569) * 86_400_000));
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

interface Parts {
  y: number;
  m: number;
  d: number;
  time?: string;
  offset?: string;
}

const ISO = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const SLASHED = /^(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})(?:[ T]+(\d{1,2})[:h](\d{2})(?::(\d{2}))?)?$/i;

function partsOf(v: unknown, order: DateOrder): Parts | undefined {
  let value = v;
  if (isFormulaCell(value)) value = value.result;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : fromDate(value);
  if (typeof value === 'number') {
    const d = fromExcelSerial(value);
    return d ? fromDate(d) : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const s = value.trim();
  let m = ISO.exec(s);
  if (m) {
    const time = m[4] === undefined ? undefined : `${pad(Number(m[4]))}:${m[5]}:${m[6] ?? '00'}${m[7] ?? ''}`;
    let offset = m[8]?.toUpperCase();
    if (offset && offset !== 'Z' && !offset.includes(':')) offset = `${offset.slice(0, 3)}:${offset.slice(3)}`;
    return check({
      y: Number(m[1]),
      m: Number(m[2]),
      d: Number(m[3]),
      ...(time === undefined ? {} : { time }),
      ...(offset === undefined ? {} : { offset }),
    });
  }
  m = SLASHED.exec(s);
  if (m) {
    const [a, b, c] = [Number(m[1]), Number(m[2]), Number(m[3])];
    let y: number;
    let mo: number;
    let d: number;
    if ((m[1] as string).length === 4 || order === 'ymd') [y, mo, d] = [a, b, c];
    else if (order === 'mdy') [mo, d, y] = [a, b, c];
    else [d, mo, y] = [a, b, c];
    if (y < 100) y += 2000;
    const time = m[4] === undefined ? undefined : `${pad(Number(m[4]))}:${m[5]}:${m[6] ?? '00'}`;
    return check({ y, m: mo, d, ...(time === undefined ? {} : { time }) });
  }
  return undefined;
}

function fromDate(d: Date): Parts {
  const [date, time] = wallClock(d).split('T') as [string, string];
  const [y, m, day] = date.split('-').map(Number) as [number, number, number];
  return { y, m, d: day, ...(time === '00:00:00' ? {} : { time }) };
}

function check(p: Parts): Parts | undefined {
  if (p.y < 1900 || p.y > 2999 || p.m < 1 || p.m > 12 || p.d < 1 || p.d > daysIn(p.y, p.m)) return undefined;
  if (p.time) {
    const [h, mi, s] = p.time.split(':').map((x) => Number.parseFloat(x)) as [number, number, number];
    if (h > 23 || mi > 59 || s >= 60) return undefined;
  }
  return p;
}

/**
 * An RFC 3339 date-time with offset. A value without an offset is wall-clock time at
 * `utcOffset` (Morocco: `+01:00`); a date alone is its midnight.
 */
export function parseDateTime(v: unknown, utcOffset: string, order: DateOrder = 'dmy'): string | undefined {
  if (typeof v === 'string') return dateTimeMemo(`${order}${utcOffset}|${v}`);
  return dateTimeOf(v, utcOffset, order);
}

const dateTimeMemo = memoize((key) => {
  const bar = key.indexOf('|');
  return dateTimeOf(key.slice(bar + 1), key.slice(3, bar), key.slice(0, 3) as DateOrder);
});

function dateTimeOf(v: unknown, utcOffset: string, order: DateOrder): string | undefined {
  const p = partsOf(v, order);
  if (!p) return undefined;
  return `${p.y}-${pad(p.m)}-${pad(p.d)}T${p.time ?? '00:00:00'}${p.offset ?? utcOffset}`;
}

/**
 * A calendar date `YYYY-MM-DD`. An expiry written as a month (`03/2026`, `2026-03`) is that
 * month's last day, as on medical packaging.
 */
export function parseDate(v: unknown, order: DateOrder = 'dmy'): string | undefined {
  if (typeof v === 'string') {
    const s = v.trim();
    const my = /^(\d{1,2})[/.-](\d{4})$/.exec(s);
    const ym = /^(\d{4})[/.-](\d{1,2})$/.exec(s);
    if (my || ym) {
      const [mo, y] = my ? [Number(my[1]), Number(my[2])] : [Number(ym?.[2]), Number(ym?.[1])];
      return mo >= 1 && mo <= 12 && y >= 1900 ? `${y}-${pad(mo)}-${pad(daysIn(y, mo))}` : undefined;
    }
  }
  const p = partsOf(v, order);
  return p ? `${p.y}-${pad(p.m)}-${pad(p.d)}` : undefined;
}

export const MOVEMENT_TYPES = [
  'receipt',
  'dispatch',
  'transfer-out',
  'transfer-in',
  'adjustment',
  'loss',
  'damage',
  'expiry-write-off',
  'return',
  'donation-in',
] as const;
export type MovementType = (typeof MOVEMENT_TYPES)[number];

/** Words partners use for each movement type, normalised by `normalizeKey`. */
const MOVEMENT_WORDS: Readonly<Record<string, MovementType>> = (() => {
  const words: Record<MovementType, readonly string[]> = {
    receipt: ['reception', 'entree', 'entrees', 'arrivage', 'recu', 'in', 'achat', 'approvisionnement', 'استلام'],
    dispatch: ['sortie', 'sorties', 'expedition', 'distribution', 'livraison', 'out', 'envoi', 'توزيع'],
    'transfer-out': ['transfert sortant', 'transfert sortie', 'transfert out', 'transfer out'],
    'transfer-in': ['transfert entrant', 'transfert entree', 'transfert in', 'transfer in'],
    adjustment: ['ajustement', 'correction', 'regularisation', 'ecart inventaire'],
    loss: ['perte', 'pertes', 'vol', 'manquant'],
    damage: ['avarie', 'casse', 'endommage', 'dommage', 'deterioration', 'damaged'],
    'expiry-write-off': ['peremption', 'perime', 'expire', 'expiry', 'expired', 'destruction peremption'],
    return: ['retour', 'retours', 'returned'],
    'donation-in': ['don', 'dons', 'don recu', 'donation', 'donation in', 'donation recue'],
  };
  const out: Record<string, MovementType> = {};
  for (const t of MOVEMENT_TYPES) {
    out[normalizeKey(t)] = t;
    for (const w of words[t]) out[normalizeKey(w)] = t;
  }
  return out;
})();

/** A movement type from its canonical name or a French / English / Arabic word for it. */
export const movementType: (text: string) => MovementType | undefined = memoize(
  (text) => MOVEMENT_WORDS[normalizeKey(text)],
);

/** Units as partners write them → the model's UN/ECE Rec 20 codes. */
const UNIT_WORDS: Readonly<Record<string, string>> = (() => {
  const words: Record<string, readonly string[]> = {
    EA: ['u', 'un', 'unite', 'unites', 'pce', 'pcs', 'piece', 'pieces', 'unit', 'units', 'each', 'ea', 'nbre'],
    KGM: ['kg', 'kgs', 'kilo', 'kilos', 'kilogramme', 'kilogrammes'],
    GRM: ['g', 'gr', 'gramme', 'grammes'],
    TNE: ['t', 'tonne', 'tonnes'],
    LTR: ['l', 'lt', 'litre', 'litres', 'liter', 'liters'],
    MLT: ['ml', 'millilitre', 'millilitres'],
    MTR: ['m', 'metre', 'metres', 'ml lineaire'],
    MTK: ['m2', 'metre carre', 'metres carres'],
    PR: ['paire', 'paires', 'pair', 'pairs'],
    SET: ['set', 'sets', 'jeu', 'jeux', 'lot de'],
    KT: ['kit', 'kits'],
    XBX: ['boite', 'boites', 'box', 'boxes'],
    XCT: ['carton', 'cartons'],
    XBG: ['sac', 'sacs', 'bag', 'bags'],
    XBO: ['bouteille', 'bouteilles', 'bottle', 'bottles'],
    XCA: ['canette', 'canettes', 'boite de conserve', 'can', 'cans'],
    XPK: ['colis', 'paquet', 'paquets', 'pack', 'packs'],
    XPA: ['sachet', 'sachets', 'packet', 'packets'],
    XPX: ['palette', 'palettes', 'pallet', 'pallets'],
    XDR: ['fut', 'futs', 'bidon', 'bidons', 'drum', 'drums'],
  };
  const out: Record<string, string> = {};
  for (const [code, list] of Object.entries(words)) for (const w of list) out[normalizeKey(w)] = code;
  return out;
})();

/**
 * A unit code: a French or English word (`kg`, `litre`, `sachet`) → its Rec 20 code, so that
 * one good is counted in one unit whatever the file wrote; a code the model knows as is;
 * anything else as written (core's validation then names it).
 */
export function unitCode(text: string, isKnown: (code: string) => boolean): string {
  return unitCodes(isKnown)(text);
}

const unitMemos = new WeakMap<(code: string) => boolean, (text: string) => string>();

function unitCodes(isKnown: (code: string) => boolean): (text: string) => string {
  let m = unitMemos.get(isKnown);
  if (!m) {
    m = memoize((text) => readUnit(text, isKnown));
    unitMemos.set(isKnown, m);
  }
  return m;
}

function readUnit(text: string, isKnown: (code: string) => boolean): string {
  const t = text.trim();
  const word = UNIT_WORDS[normalizeKey(t)];
  if (word !== undefined) return word;
  if (isKnown(t)) return t;
  return isKnown(t.toUpperCase()) ? t.toUpperCase() : t;
}

/** A JSON-safe copy of a cell, for payloads: dates as wall-clock text, big integers as text. */
export function jsonCell(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : wallClock(v);
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (typeof v === 'object') {
    if (isFormulaCell(v)) return { formula: v.formula, result: jsonCell(v.result) };
    const o = v as { richText?: unknown; text?: unknown; hyperlink?: unknown; error?: unknown };
    if (Array.isArray(o.richText)) return cellText(v);
    if (typeof o.text === 'string')
      return typeof o.hyperlink === 'string' ? { text: o.text, hyperlink: o.hyperlink } : o.text;
    if (typeof o.error === 'string') return { error: o.error };
  }
  return v;
}
