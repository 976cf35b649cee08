/**
 * Text encodings of partner files: UTF-8 (with or without a BOM) and "Latin-1", which in files
 * saved by Excel on Windows is Windows-1252 (ISO-8859-1 plus `€`, `œ`, `’`, `…` in 0x80–0x9F).
 *
 * The CSV parser works on bytes; a Windows-1252 file is parsed as ISO-8859-1 (one byte, one
 * character, so byte offsets stay exact) and the few characters that differ are fixed per cell.
 */
import { isUtf8 } from 'node:buffer';

export type ConfiguredEncoding = 'auto' | 'utf-8' | 'latin1';
export type FileEncoding = 'utf-8' | 'windows-1252';

export interface SniffedEncoding {
  readonly encoding: FileEncoding;
  /** The file starts with the UTF-8 byte order mark. */
  readonly bom: boolean;
  /** `auto` chose Windows-1252 because the sample is not UTF-8. */
  readonly fellBack: boolean;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** The longest prefix of `buf` that does not end inside a UTF-8 sequence. */
function wholeSequences(buf: Buffer): Buffer {
  for (let back = 1; back <= Math.min(3, buf.length); back++) {
    const b = buf[buf.length - back] as number;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? buf.subarray(0, buf.length - back) : buf;
  }
  return buf;
}

/**
 * The encoding of a file from its first bytes. With `auto`: a BOM means UTF-8; else the sample
 * is UTF-8 when it is valid UTF-8 as a whole (a sequence cut at the sample's end aside), and
 * Windows-1252 otherwise.
 */
export function sniffEncoding(sample: Buffer, configured: ConfiguredEncoding, whole: boolean): SniffedEncoding {
  const bom = sample.subarray(0, 3).equals(BOM);
  if (configured === 'utf-8') return { encoding: 'utf-8', bom, fellBack: false };
  if (configured === 'latin1') return { encoding: 'windows-1252', bom: false, fellBack: false };
  if (bom) return { encoding: 'utf-8', bom, fellBack: false };
  const body = whole ? sample : wholeSequences(sample);
  if (isUtf8(body)) return { encoding: 'utf-8', bom: false, fellBack: false };
  return { encoding: 'windows-1252', bom: false, fellBack: true };
}

/** Windows-1252 characters of bytes 0x80–0x9F (the five undefined bytes stay C1 controls, as WHATWG maps them). */
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8d, 0x017d,
  0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x9d,
  0x017e, 0x0178,
];
const C1 = /[\u0080-\u009f]/;
const C1_ALL = /[\u0080-\u009f]/g;

/** A cell read as ISO-8859-1, as Windows-1252 would read it. */
export function fixWindows1252(s: string): string {
  if (!C1.test(s)) return s;
  return s.replace(C1_ALL, (c) => String.fromCharCode(CP1252_HIGH[c.charCodeAt(0) - 0x80] as number));
}

/** Decodes a whole buffer (a truncated tail, a sample) in the file's encoding. */
export function decode(buf: Buffer, encoding: FileEncoding): string {
  if (encoding === 'utf-8') return buf.toString('utf8').replace(/^\uFEFF/, '');
  return fixWindows1252(buf.toString('latin1'));
}
