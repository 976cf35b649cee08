import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { type HubError, isHubError } from '../../../core/errors/index.js';
import { attribute, child, children, childText, elementPayload, elementXml, parseXml, type XmlSource } from '../xml.js';

const CAP = 'urn:oasis:names:tc:emergency:cap:1.2';

function src(text: string | Buffer, name = 'doc.xml', contentType?: string): XmlSource {
  return {
    name,
    bytes: typeof text === 'string' ? Buffer.from(text, 'utf8') : text,
    ...(contentType ? { contentType } : {}),
  };
}

function refusal(fn: () => unknown): HubError {
  try {
    fn();
  } catch (err) {
    if (isHubError(err)) return err;
    throw err;
  }
  throw new Error('expected a HubError');
}

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>`;

describe('parseXml: documents that would make a parser fetch or expand are refused', () => {
  it('refuses the billion laughs, naming its entity declarations', () => {
    const err = refusal(() => parseXml('cap', src(BILLION_LAUGHS, 'laughs.xml')));
    expect(err.code).toBe('HUB_ERR_XML_UNSAFE');
    expect(err.kind).toBe('data');
    expect(err.message).toContain('laughs.xml');
    expect(err.message).toContain('10 entity declaration(s) (lol, lol1, lol2, lol3, lol4, …)');
  });

  it('refuses XXE without reading the file it points to', () => {
    const xxe = `<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<alert xmlns="${CAP}"><identifier>&xxe;</identifier></alert>`;
    const err = refusal(() => parseXml('cap', src(xxe, 'xxe.xml')));
    expect(err.code).toBe('HUB_ERR_XML_UNSAFE');
    expect(err.message).toContain('external entities (xxe → SYSTEM "file:///etc/passwd")');
    expect(err.message).not.toContain('root:');
  });

  it('refuses an external DTD and a parameter entity, and never connects to them', async () => {
    let hits = 0;
    const server = createServer((_req, res) => {
      hits++;
      res.end('<!ENTITY % all "<!ENTITY send SYSTEM \'http://x/?%file;\'>">');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/evil.dtd`;
    try {
      const external = refusal(() =>
        parseXml('cap', src(`<?xml version="1.0"?><!DOCTYPE alert SYSTEM "${url}"><alert/>`, 'dtd.xml')),
      );
      expect(external.code).toBe('HUB_ERR_XML_UNSAFE');
      expect(external.message).toContain(`an external DTD (SYSTEM "${url}")`);

      const param = refusal(() =>
        parseXml(
          'cap',
          src(`<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY % remote SYSTEM "${url}"> %remote;]><alert/>`, 'p.xml'),
        ),
      );
      expect(param.code).toBe('HUB_ERR_XML_UNSAFE');
      expect(param.message).toContain('parameter entities (%remote)');
      expect(param.message).toContain(`%remote → SYSTEM "${url}"`);
      // Give a (wrong) fetch every chance to happen before counting.
      await new Promise((r) => setTimeout(r, 50));
      expect(hits).toBe(0);
    } finally {
      server.close();
    }
  });

  it('refuses an undeclared entity instead of expanding or dropping it', () => {
    const err = refusal(() => parseXml('cap', src('<alert>&nbsp;</alert>')));
    expect(err.code).toBe('HUB_ERR_XML_MALFORMED');
    expect(err.message).toContain('undefined entity');
  });

  it('accepts a bare DOCTYPE that declares nothing', () => {
    expect(parseXml('cap', src('<!DOCTYPE alert><alert>ok</alert>')).root.text).toBe('ok');
  });
});

describe('parseXml: malformed, oversized and badly encoded documents', () => {
  it('says where a truncated document stops', () => {
    const err = refusal(() =>
      parseXml('cap', src(`<alert xmlns="${CAP}">\n  <info>\n    <event>Séisme</event>\n`, 'cut.xml')),
    );
    expect(err.code).toBe('HUB_ERR_XML_MALFORMED');
    expect(err.message).toMatch(/^XML document cut\.xml is not well-formed at line 4, column 1: unclosed tag: info/);
    expect(err.params.line).toBe(4);
  });

  it('says where a mismatched tag is', () => {
    const err = refusal(() => parseXml('cap', src('<a>\n<b>text</a>')));
    expect(err.message).toContain('line 2');
    expect(err.message).toContain('unexpected close tag');
  });

  it('refuses an empty document and text outside the root', () => {
    expect(refusal(() => parseXml('cap', src(''))).code).toBe('HUB_ERR_XML_MALFORMED');
    expect(refusal(() => parseXml('cap', src('<a/>trailing'))).code).toBe('HUB_ERR_XML_MALFORMED');
  });

  it('refuses a document over the byte limit before decoding it', () => {
    const err = refusal(() => parseXml('cap', src(`<a>${'x'.repeat(2000)}</a>`), { maxBytes: 1000 }));
    expect(err.code).toBe('HUB_ERR_INGEST_TOO_LARGE');
    expect(err.status).toBe(413);
  });

  it('refuses nesting deeper than the depth limit, and too many elements', () => {
    const deep = `${'<a>'.repeat(70)}${'</a>'.repeat(70)}`;
    const err = refusal(() => parseXml('cap', src(deep)));
    expect(err.code).toBe('HUB_ERR_XML_LIMIT');
    expect(err.message).toContain('nesting depth limit (65 > 64)');
    const many = `<r>${'<i/>'.repeat(50)}</r>`;
    expect(refusal(() => parseXml('cap', src(many), { maxElements: 20 })).message).toContain('element count');
  });

  it('refuses Latin-1 bytes in a document that says nothing of its encoding, naming the byte and line', () => {
    const bytes = Buffer.concat([
      Buffer.from('<alert>\n<event>S'),
      Buffer.from([0xe9]),
      Buffer.from('isme</event></alert>'),
    ]);
    const err = refusal(() => parseXml('cap', src(bytes, 'latin.xml')));
    expect(err.code).toBe('HUB_ERR_INGEST_DOCUMENT');
    expect(err.message).toContain('latin.xml: it is not utf-8');
    expect(err.message).toContain('byte 16 (0xe9, line 2)');
  });

  it('reads the encodings a document declares: ISO-8859-1, Windows-1256 (Arabic), UTF-16 with its BOM', () => {
    const latin = Buffer.concat([
      Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><event>S'),
      Buffer.from([0xe9]),
      Buffer.from('isme</event>'),
    ]);
    expect(parseXml('cap', src(latin)).root.text).toBe('Séisme');
    const arabic = Buffer.concat([
      Buffer.from('<?xml version="1.0" encoding="windows-1256"?><event>'),
      Buffer.from([0xd2, 0xe1, 0xd2, 0xc7, 0xe1]),
      Buffer.from('</event>'),
    ]);
    expect(parseXml('cap', src(arabic)).root.text).toBe('زلزال');
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<event>زلزال</event>', 'utf16le')]);
    const doc = parseXml('cap', src(utf16));
    expect([doc.root.text, doc.encoding]).toEqual(['زلزال', 'utf-16le']);
    // The media type's charset wins over the declaration (RFC 7303).
    const mislabelled = Buffer.from(latin.toString('latin1').replace('ISO-8859-1', 'UTF-8'), 'latin1');
    expect(parseXml('cap', src(mislabelled, 'x', 'application/xml; charset=iso-8859-1')).root.text).toBe('Séisme');
  });

  it('refuses an encoding it does not know', () => {
    const err = refusal(() => parseXml('cap', src('<?xml version="1.0" encoding="x-klingon"?><a/>')));
    expect(err.message).toContain('its encoding x-klingon, from its XML declaration');
  });
});

describe('parseXml: the tree', () => {
  const text = `<?xml version="1.0" encoding="UTF-8"?>
<cap:alert xmlns:cap="${CAP}" xmlns:x="urn:other">
  <cap:identifier>MA-DGM-1</cap:identifier>
  <cap:info><cap:language>fr-MA</cap:language><cap:area><cap:areaDesc>Al Haouz &amp; Chichaoua</cap:areaDesc></cap:area></cap:info>
  <cap:info><cap:language>ar-MA</cap:language><x:note kind="a"><![CDATA[<b>ok</b>]]></x:note></cap:info>
</cap:alert>`;
  const doc = parseXml('cap', src(text, 'tree.xml'));

  it('matches elements by namespace and local name, whatever the prefix', () => {
    expect(doc.root.local).toBe('alert');
    expect(doc.root.ns).toBe(CAP);
    expect(childText(doc.root, 'identifier', CAP)).toBe('MA-DGM-1');
    expect(childText(doc.root, 'identifier', 'urn:oasis:names:tc:emergency:cap:1.1')).toBeUndefined();
    const infos = children(doc.root, 'info', CAP);
    expect(infos).toHaveLength(2);
    expect(childText(child(infos[0], 'area', CAP), 'areaDesc')).toBe('Al Haouz & Chichaoua');
    const note = child(infos[1], 'note', 'urn:other');
    expect(note?.text).toBe('<b>ok</b>');
    expect(attribute(note, 'kind')).toBe('a');
  });

  it('gives each element its path, its position and its XML exactly as sent', () => {
    const info2 = children(doc.root, 'info')[1]!;
    expect(info2.path).toBe('/alert/info[2]');
    expect([info2.line, info2.column]).toEqual([5, 3]);
    expect(elementXml(doc, info2)).toBe(
      '<cap:info><cap:language>ar-MA</cap:language><x:note kind="a"><![CDATA[<b>ok</b>]]></x:note></cap:info>',
    );
    const id = child(doc.root, 'identifier')!;
    expect(id.path).toBe('/alert/identifier');
    expect(elementPayload(doc, id)).toEqual({
      document: 'tree.xml',
      path: '/alert/identifier',
      line: 3,
      column: 3,
      xml: '<cap:identifier>MA-DGM-1</cap:identifier>',
    });
    expect(elementXml(doc, doc.root)).toBe(text.slice(text.indexOf('<cap:alert')));
  });
});
