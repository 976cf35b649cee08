/**
 * The base of a document connector (EPCIS, FHIR, CAP, EDXL-RM…): one stream, a pull form that
 * reads the files of a `path` or `dir` (state per file, `document-files.ts`) and a push form
 * (`parseDocument`). An author declares the stream, the media types and the size limit, and
 * writes one thing: `mapDocument`, which both forms go through, so that a pushed and a pulled
 * document give the same records.
 */
import type { IncomingDocument } from '../../core/ports/index.js';
import type { CheckResult, Message } from './connector.js';
import { ConnectorBase, type Stream } from './connector-base.js';
import type { DocumentConnector } from './document.js';
import {
  type DocumentFilesConfig,
  documentMessages,
  listDocumentFiles,
  type MappedDocument,
  readDocumentFiles,
} from './document-files.js';
import { type DocumentSource, pushedDocumentSource } from './json-document.js';

export interface DocumentStream {
  readonly name: string;
  readonly resourceTypes: readonly string[];
  readonly primaryKey: readonly string[];
}

export abstract class DocumentFilesConnectorBase<Config extends DocumentFilesConfig>
  extends ConnectorBase<Config>
  implements DocumentConnector<Config>
{
  abstract readonly maxDocumentBytes: number;
  abstract readonly acceptedMediaTypes: readonly string[];
  /** The connector's one stream. */
  protected abstract readonly stream: DocumentStream;
  /** What the documents are called in messages (`files`, `alerts`, `messages`). Default: `files`. */
  protected readonly documentNoun: string = 'files';

  /**
   * Reads and maps one document. Throws a `HubError` of kind `data` when the document as a
   * whole cannot be read (too large, not UTF-8, malformed, unsafe XML, not the expected kind).
   */
  protected abstract mapDocument(source: DocumentSource, config: Config): MappedDocument;

  /** Lists the files of the pull form; a push-only config (no path, no dir) has nothing to check. */
  protected async checkConnection(config: Config): Promise<CheckResult> {
    if (config.path === undefined && config.dir === undefined) {
      return {
        status: 'failed',
        message: `set path or dir to pull ${this.documentNoun}; a push-only config needs no check`,
      };
    }
    return listDocumentFiles(this.name, config).length > 0
      ? { status: 'succeeded' }
      : { status: 'succeeded', message: `no ${config.file_extensions.join(' or ')} file yet in ${config.dir}` };
  }

  /** `<name>:<path or dir>` for the pull form, `<name>` for pushed documents. Override to name the partner. */
  override sourceSystem(config: Partial<Config>): string {
    const where = config.path ?? config.dir;
    return where === undefined ? this.name : `${this.name}:${where}`.slice(0, 256);
  }

  protected streams(): readonly Stream<Config>[] {
    return [
      {
        ...this.stream,
        read: (config, state, options) =>
          readDocumentFiles({
            connector: this.name,
            config,
            state,
            parse: (source) => this.mapDocument(source, config),
            ...(options.signal ? { signal: options.signal } : {}),
          }),
      },
    ];
  }

  /** Maps a pushed document whole before returning, so one that cannot be read throws here. */
  parseDocument(document: IncomingDocument, config: Partial<Config>): Iterable<Message> {
    return [
      ...documentMessages(this.stream.name, this.mapDocument(pushedDocumentSource(document), this.resolve(config))),
    ];
  }
}
