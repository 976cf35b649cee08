/** The part of unzipper 0.10 (no bundled types) that the XLSX reader uses: the central directory. */
declare module 'unzipper' {
  import type { Readable } from 'node:stream';

  interface CentralDirectoryEntry {
    readonly path: string;
    readonly uncompressedSize: number;
    stream(): Readable;
  }
  interface CentralDirectory {
    readonly files: CentralDirectoryEntry[];
  }
  const unzipper: {
    readonly Open: {
      file(path: string): Promise<CentralDirectory>;
      buffer(body: Buffer): Promise<CentralDirectory>;
    };
  };
  export default unzipper;
}
