/**
 * Partner files: CSV and XLSX stock reports, with or without HXL hashtags, in UTF-8 or Latin-1,
 * with French decimal commas, into StockMovement or StockSnapshot records.
 *
 * Pull form: `path`, or `dir` + `glob`. The stream's state keeps one entry per file:
 *
 *   { "files": { "stock-agadir.csv": { "fingerprint": "48213:1757322000000", "row": 4000, "offset": 301822 } } }
 *
 * `row` is the last row done and `offset` (CSV) the byte after it, so a resume seeks straight
 * there; a finished file is `{ fingerprint, done: true, rows }` and is not read again while its
 * size and modification time (the fingerprint) are unchanged. A changed file is read again from
 * its start: its ids come from the file and row (or its id column), so it replaces itself.
 *
 * A file that cannot be read as a whole (not a zip, no header naming the required columns) does
 * not block the others: it becomes one `invalid` message naming the file, and is marked done.
 * The push form (`parseDocument`) throws those errors instead, so that the sender hears of them.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { HubError, isHubError } from '../../../core/errors/index.js';
import { isValidGtin, normaliseGtin14 } from '../../../core/index.js';
import type { IncomingDocument } from '../../../core/ports/index.js';
import type { CheckResult, JSONSchema, Message } from '../../sdk/connector.js';
import { ConnectorBase, type Stream, type StreamMessage } from '../../sdk/connector-base.js';
import type { DocumentConnector } from '../../sdk/document.js';
import type { MappingOptions, ProductCatalogue } from './canonical-mapping.js';
import type { ConfiguredDelimiter } from './csv-reader.js';
import type { ConfiguredEncoding } from './encoding.js';
import { type ByteSource, bufferSource, fileSource, fsError, type ListedFile, listFiles } from './sources.js';
import { formatBytes, type Position, readTable, type TableEvent, type TableOptions } from './table-reader.js';
import type { DateOrder, DecimalSeparator } from './values.js';
import { normalizeKey } from './values.js';

export interface FilesConfig {
  readonly path?: string;
  readonly dir?: string;
  readonly glob: string;
  readonly resource_type: 'StockMovement' | 'StockSnapshot';
  readonly format: 'auto' | 'csv' | 'xlsx';
  readonly encoding: ConfiguredEncoding;
  readonly delimiter: ConfiguredDelimiter;
  readonly decimal_separator: DecimalSeparator;
  readonly date_order: DateOrder;
  readonly utc_offset: string;
  readonly sheet?: string;
  readonly header_row?: number;
  readonly mapping: Readonly<Record<string, string | readonly string[]>>;
  readonly defaults: Readonly<Record<string, string | number>>;
  readonly value_maps: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly known_products?: readonly string[];
  readonly product_catalogue?: string;
  readonly counterpart_kind: 'Location' | 'Organization';
  readonly source_system?: string;
  readonly checkpoint_every: number;
}

/** One file's entry in the stream's state. */
export interface FileEntry {
  readonly fingerprint: string;
  /** Last row made durable, while the file is being read. */
  readonly row?: number;
  /** Byte offset after `row` (CSV). */
  readonly offset?: number;
  readonly done?: boolean;
}

export interface FilesState {
  readonly files: Readonly<Record<string, FileEntry>>;
}

const NAME = 'files';
const SPEC = JSON.parse(readFileSync(new URL('../resources/spec.json', import.meta.url), 'utf8')) as JSONSchema;

/** Largest pushed file: 50 MiB. Bigger files are pulled from a folder, streamed. */
export const MAX_DOCUMENT_BYTES = 50 * 1024 * 1024;

export const XLSX_MEDIA_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Small files whose whole content a dead letter keeps, base64, when they cannot be read. */
const KEEP_CONTENT_BYTES = 1024 * 1024;

function streamName(config: FilesConfig): string {
  return config.resource_type === 'StockSnapshot' ? 'stock_snapshots' : 'stock_movements';
}

function filesOf(state: unknown): Record<string, FileEntry> {
  const files = (state as Partial<FilesState> | undefined)?.files;
  return typeof files === 'object' && files !== null ? { ...files } : {};
}

/** The catalogue of the config, or `undefined` when it names none. Throws `HUB_ERR_CONNECTOR_SOURCE_REFUSED`. */
function loadCatalogue(config: FilesConfig): ProductCatalogue | undefined {
  if (config.known_products === undefined && config.product_catalogue === undefined) return undefined;
  const byCode = new Map<string, { id: string; gtin?: string }>();
  const add = (id: string, sku?: string, gtin?: string) => {
    const g = gtin && isValidGtin(gtin) ? normaliseGtin14(gtin) : undefined;
    const entry = g === undefined ? { id } : { id, gtin: g };
    byCode.set(id.toLowerCase(), entry);
    if (sku) byCode.set(sku.toLowerCase(), entry);
    if (g) byCode.set(g, entry);
  };
  for (const id of config.known_products ?? []) add(id);
  if (config.product_catalogue !== undefined) {
    let text: string;
    try {
      text = readFileSync(config.product_catalogue, 'utf8').replace(/^\uFEFF/, '');
    } catch (err) {
      throw fsError(NAME, err, `cannot read the product catalogue ${config.product_catalogue}`);
    }
    const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
    const sep = (lines[0] ?? '').includes(';') ? ';' : (lines[0] ?? '').includes('\t') ? '\t' : ',';
    const header = (lines[0] ?? '').split(sep).map((h) => normalizeKey(h.replace(/^"|"$/g, '')));
    const col = (n: string) => header.indexOf(n);
    if (col('id') < 0) {
      throw new HubError('HUB_ERR_CONNECTOR_CONFIG', {
        name: NAME,
        reason: `product_catalogue ${config.product_catalogue} has no id column`,
      });
    }
    for (const line of lines.slice(1)) {
      const cells = line.split(sep).map((c) => c.trim().replace(/^"|"$/g, ''));
      const id = cells[col('id')];
      if (id)
        add(id, col('sku') >= 0 ? cells[col('sku')] : undefined, col('gtin') >= 0 ? cells[col('gtin')] : undefined);
    }
  }
  return { byCode };
}

function valueMaps(config: FilesConfig): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const [field, map] of Object.entries(config.value_maps)) {
    out.set(field, new Map(Object.entries(map).map(([k, v]) => [normalizeKey(k), v])));
  }
  return out;
}

export class FilesConnector extends ConnectorBase<FilesConfig> implements DocumentConnector<FilesConfig> {
  readonly name = NAME;
  protected readonly configSchema = SPEC;
  readonly maxDocumentBytes = MAX_DOCUMENT_BYTES;
  readonly acceptedMediaTypes = [
    'text/csv',
    'application/csv',
    'text/tab-separated-values',
    XLSX_MEDIA_TYPE,
    // What browsers on Windows send for a .csv upload.
    'application/vnd.ms-excel',
  ] as const;

  /** `files:<source_system>`, else `files:<folder>`. */
  override sourceSystem(config: Partial<FilesConfig>): string {
    const c = this.resolve(config);
    return `files:${this.namespace(c)}`.slice(0, 256);
  }

  private namespace(config: FilesConfig, pushedBy?: string): string {
    if (config.source_system !== undefined) return config.source_system;
    if (config.dir !== undefined) return resolve(config.dir);
    if (config.path !== undefined) return dirname(resolve(config.path));
    return pushedBy ?? 'push';
  }

  /** The path or folder is readable; a single `path` also has a header naming the required columns. */
  protected async checkConnection(config: FilesConfig): Promise<CheckResult> {
    loadCatalogue(config);
    const files = listFiles(NAME, config);
    if (config.path === undefined) {
      return { status: 'succeeded', message: `${files.length} file(s) match ${config.glob} in ${config.dir}` };
    }
    const file = files[0] as ListedFile;
    // Reading up to the first data row proves the format, the encoding and the layout.
    for await (const e of readTable(fileSource(file.path, file.name, file.size), this.tableOptions(config), {
      row: 0,
    })) {
      if (e.type === 'record' || e.type === 'invalid') break;
    }
    return { status: 'succeeded' };
  }

  private tableOptions(config: FilesConfig, pushedBy?: string, signal?: AbortSignal): TableOptions {
    const products = loadCatalogue(config);
    const namespace = this.namespace(config, pushedBy);
    const mappingOptions: Omit<MappingOptions, 'delimiter' | 'encoding'> = {
      resourceType: config.resource_type,
      defaults: config.defaults,
      valueMaps: valueMaps(config),
      utcOffset: config.utc_offset,
      dateOrder: config.date_order,
      decimal: config.decimal_separator,
      ...(products ? { products } : {}),
      counterpartKind: config.counterpart_kind,
      refuseFormulas: true,
      idNamespace: namespace,
      identifierSystem: `urn:reserve-hub:files:${encodeURIComponent(namespace)}`,
    };
    return {
      resourceType: config.resource_type,
      format: config.format,
      encoding: config.encoding,
      delimiter: config.delimiter,
      ...(config.sheet === undefined ? {} : { sheet: config.sheet }),
      ...(config.header_row === undefined ? {} : { headerRow: config.header_row }),
      mapping: config.mapping,
      mappingOptions,
      namespace,
      checkpointEvery: config.checkpoint_every,
      ...(signal ? { signal } : {}),
    };
  }

  protected streams(config: FilesConfig): readonly Stream<FilesConfig>[] {
    const self = this;
    return [
      {
        name: streamName(config),
        resourceTypes: [config.resource_type],
        primaryKey: ['id'],
        cursorField: ['file', 'row'],
        async *read(cfg, state, options): AsyncGenerator<StreamMessage> {
          const listed = listFiles(NAME, cfg);
          const before = filesOf(state);
          // Entries of files no longer listed are dropped, so the state does not grow for ever.
          const files: Record<string, FileEntry> = {};
          for (const f of listed) if (before[f.name]) files[f.name] = before[f.name] as FileEntry;
          const snapshot = (): FilesState => ({ files: { ...files } });
          const table = self.tableOptions(cfg, undefined, options.signal);

          for (const file of listed) {
            if (options.signal?.aborted) return;
            const prior = files[file.name];
            if (prior?.done && prior.fingerprint === file.fingerprint) continue;
            const from: Position =
              prior?.fingerprint === file.fingerprint && prior.row !== undefined
                ? { row: prior.row, ...(prior.offset === undefined ? {} : { offset: prior.offset }) }
                : { row: 0 };
            try {
              for await (const e of readTable(fileSource(file.path, file.name, file.size), table, from)) {
                if (e.type === 'position') {
                  files[file.name] = { fingerprint: file.fingerprint, ...e.position };
                  yield { type: 'state', state: snapshot() };
                } else yield e;
              }
            } catch (err) {
              if (!isHubError(err) || err.kind !== 'data') throw err;
              yield* refuseFile(file, err);
            }
            // An abort stops the reader right after a position: the file is not done, and the
            // state already holds where a resumed run starts.
            if (options.signal?.aborted) return;
            files[file.name] = { fingerprint: file.fingerprint, done: true };
            yield { type: 'state', state: snapshot() };
          }
          yield { type: 'state', state: snapshot() };
        },
      },
    ];
  }

  /**
   * The push form: one CSV or XLSX file, by media type (or file name, or content). Throws
   * `HUB_ERR_INGEST_TOO_LARGE` over `maxDocumentBytes`, and `HUB_ERR_FILES_UNREADABLE` /
   * `HUB_ERR_FILES_COLUMNS_MISSING` for a file that cannot be read as a whole.
   */
  async *parseDocument(document: IncomingDocument, config: Partial<FilesConfig>): AsyncGenerator<Message> {
    const resolved = this.resolve(config);
    if (document.body.length > this.maxDocumentBytes) {
      throw new HubError(
        'HUB_ERR_INGEST_TOO_LARGE',
        { name: NAME, limit: this.maxDocumentBytes },
        { detail: `${document.filename ?? 'the document'} is ${formatBytes(document.body.length)}` },
      );
    }
    const media = (document.contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const isXlsx = media === XLSX_MEDIA_TYPE;
    const name = document.filename ?? (isXlsx ? 'document.xlsx' : 'document.csv');
    const format = isXlsx ? 'xlsx' : media === '' || media === 'application/vnd.ms-excel' ? resolved.format : 'csv';
    const table = this.tableOptions({ ...resolved, format }, document.pushedBy);
    const stream = streamName(resolved);
    const source: ByteSource = bufferSource(document.body, name);
    for await (const e of readTable(source, { ...table, checkpointEvery: Number.POSITIVE_INFINITY })) {
      const m = toMessage(e, stream);
      if (m) yield m;
    }
  }
}

function toMessage(e: TableEvent, stream: string): Message | undefined {
  switch (e.type) {
    case 'position':
    case 'state':
      return undefined;
    case 'log':
      return e;
    case 'record':
      return {
        type: 'record',
        stream,
        data: e.data,
        ...(e.sourceId === undefined ? {} : { sourceId: e.sourceId }),
        ...(e.sourcePayload === undefined ? {} : { sourcePayload: e.sourcePayload }),
      };
    default:
      return { ...e, stream };
  }
}

/** A file that cannot be read as a whole: one `invalid` message naming it, and a log. */
function* refuseFile(file: ListedFile, err: HubError): Generator<StreamMessage> {
  const payload: Record<string, unknown> = { file: file.name, bytes: file.size };
  if (file.size <= KEEP_CONTENT_BYTES) {
    try {
      payload.base64 = readFileSync(file.path).toString('base64');
    } catch {
      // gone since: the name and size are what can be kept
    }
  }
  const message = err.detail === undefined ? err.message : `${err.message} (${err.detail})`;
  yield { type: 'log', level: 'error', message };
  yield { type: 'invalid', sourceId: file.name, payload, errors: [{ pointer: '', code: err.code, message }] };
}

export const files = new FilesConnector();
