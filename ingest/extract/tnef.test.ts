// Tests the TNEF decoder on MimeKit's real-world corpus, on hand-built blobs and on mutated (hostile) input.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { simpleParser } from 'mailparser';
import { SteleError } from '../../core/errors.ts';
import { decodeUtf8OrLatin1 } from './codepage.ts';
import { decompressRtf } from './compressed-rtf.ts';
import { rtfToText } from './rtf-text.ts';
import { TNEF_CONTENT_TYPE, TNEF_SIGNATURE, TnefDecodeError, decodeTnef, type TnefResult } from './tnef.ts';

/** Shared corpus, by path from the repo root (tests run there); see ../shared/corpus/README.md. */
const CORPUS = '../shared/corpus/mimekit/tnef';

/** Blobs whose framing is broken on purpose, and why decodeTnef refuses them. */
const BROKEN: Readonly<Record<string, RegExp>> = {
  'garbage-at-end': /1 trailing bytes are too few for an attribute/,
  panic: /invalid attribute level 75/,
};

function decodeOrPartial(name: string): TnefResult {
  const buf = readFileSync(join(CORPUS, `${name}.tnef`));
  const why = BROKEN[name];
  if (!why) return decodeTnef(buf);
  try {
    decodeTnef(buf);
  } catch (err) {
    assert.ok(err instanceof TnefDecodeError, `${name}: expected a TnefDecodeError, got ${String(err)}`);
    assert.ok(err instanceof SteleError);
    assert.equal(err.code, 'bad_request');
    assert.match(err.message, why);
    return err.partial;
  }
  assert.fail(`${name}: a broken blob decoded without error`);
}

const blobNames = readdirSync(CORPUS)
  .filter((f) => f.endsWith('.tnef'))
  .map((f) => f.slice(0, -'.tnef'.length))
  .sort();

describe('decodeTnef on the MimeKit corpus', () => {
  test('the corpus is there', () => {
    assert.ok(blobNames.length >= 19, `expected the 19 TNEF blobs under ${CORPUS}, found ${blobNames.length}`);
    for (const name of Object.keys(BROKEN)) assert.ok(blobNames.includes(name), name);
  });

  for (const name of blobNames) {
    test(`${name}: every name in ${name}.list comes out`, () => {
      const result = decodeOrPartial(name);
      const expected = readFileSync(join(CORPUS, `${name}.list`), 'utf8').split(/\r?\n/).filter(Boolean);
      const filenames = result.attachments.map((a) => a.filename);
      // MimeKit's lists name the bodies body.rtf, body.html and body.txt.
      for (const want of expected) {
        if (want === 'body.rtf') assert.match(result.bodyRtf ?? '', /^\{\\rtf1/, `${name}: no RTF body`);
        else if (want === 'body.html') assert.match(result.bodyHtml ?? '', /<html/i, `${name}: no HTML body`);
        else if (want === 'body.txt') assert.ok(result.body, `${name}: no text body`);
        else assert.ok(filenames.includes(want), `${name}: ${want} missing from ${JSON.stringify(filenames)}`);
      }
      if (!BROKEN[name]) {
        assert.deepEqual(result.warnings.filter((w) => /CRC|checksum/.test(w)), [], `${name}: ${result.warnings.join('; ')}`);
      }
    });
  }

  test('attachment bytes and bodies equal the files MimeKit extracted', () => {
    const crlf = (s: string): string => s.replace(/\r\n/g, '\n');
    const textual = /\.(?:htm|dat|ini|src|cfg)$|^(?:AUTHORS|README)$/;
    let compared = 0;
    for (const name of blobNames) {
      const dir = join(CORPUS, name);
      if (!existsSync(dir)) continue;
      const result = decodeOrPartial(name);
      for (const file of readdirSync(dir)) {
        const expected = readFileSync(join(dir, file));
        const where = `${name}/${file}`;
        if (file === 'message.rtf') assert.equal(crlf(result.bodyRtf ?? ''), crlf(expected.toString('latin1')), where);
        else if (file === 'message.html') {
          // MimeKit wrote the HTML bytes as they came (UTF-8 or windows-1252); we hand out text.
          assert.equal(crlf(result.bodyHtml ?? ''), crlf(decodeUtf8OrLatin1(expected)), where);
        }
        else if (file === 'message.txt') assert.equal(crlf(result.body ?? ''), crlf(expected.toString('utf8')), where);
        else if (file.startsWith('Untitled Attachment.')) continue; // MimeKit's numbering of duplicate names
        else {
          const att = result.attachments.find((a) => a.filename === file);
          assert.ok(att, `${where}: no attachment of that name`);
          if (textual.test(file)) assert.equal(crlf(att.content.toString('latin1')), crlf(expected.toString('latin1')), where);
          else if (name === 'MAPI_OBJECT') {
            // MimeKit keeps the 16-byte IID_IStorage in front of the OLE compound file; we drop it.
            assert.ok(att.content.equals(expected.subarray(16)), where);
          } else assert.ok(att.content.equals(expected), `${where}: ${att.content.length} bytes, expected ${expected.length}`);
        }
        compared++;
      }
    }
    assert.ok(compared >= 40, `only ${compared} files compared`);
  });

  test('panic.tnef keeps what came before the break', () => {
    const partial = decodeOrPartial('panic');
    assert.equal(partial.subject, 'Fw: VIKTIGT: Vill att någon av er gör följande ändringar i https://baka.spiderads.eu/');
    assert.deepEqual(
      partial.attachments.map((a) => [a.filename, a.contentType]),
      [
        ['image001.jpg', 'image/jpeg'],
        ['image002.jpg', 'image/jpeg'],
        ['image003.png', 'image/png'],
      ],
    );
  });

  test('Unicode and code-page strings decode', () => {
    assert.equal(decodeOrPartial('MAPI_ATTACH_DATA_OBJ').subject, 'Bodø-damer på vei!');
    assert.equal(
      decodeOrPartial('unicode-mapi-attr-name').subject,
      'RE: [ZGLOSZENIE] THU#29044 Aktualizacja numerów w dodatkowych panelach',
    );
    assert.equal(decodeOrPartial('triples').body, 'Sample description\r\n');
  });

  test('embedded messages come out as TNEF that decodes again', () => {
    const outer = decodeOrPartial('christmas');
    const embedded = outer.attachments.filter((a) => a.contentType === TNEF_CONTENT_TYPE);
    assert.equal(embedded.length, 2);
    const inner = embedded.map((a) => decodeTnef(a.content));
    assert.deepEqual(
      inner.map((m) => m.subject),
      ['Build a train table', 'Christmas Celebration!'],
    );
    assert.match(inner[1]!.body ?? '', /open their Christmas presents/);
  });

  test('the RTF body converts to text', () => {
    const text = rtfToText(decodeOrPartial('rtf').bodyRtf ?? '');
    assert.match(text, /^aafgag'alga'kgk$/m);
    assert.match(text, /Compuware Corporation\ngallen@numega\.com/);
    assert.doesNotMatch(text, /fonttbl|Arial|\\par/);
  });
});

describe('decodeTnef on winmail.dat inside real messages', () => {
  async function winmailOf(file: string): Promise<Buffer> {
    const mail = await simpleParser(readFileSync(join(CORPUS, file)));
    const att = mail.attachments.find((a) => a.contentType === 'application/ms-tnef');
    assert.ok(att, `${file}: no application/ms-tnef part`);
    assert.equal(att.filename, 'winmail.dat');
    return att.content;
  }

  test('ukr.eml: the HTML body decodes with its KOI8-R Internet code page', async () => {
    const result = decodeTnef(await winmailOf('ukr.eml'));
    assert.equal(result.subject, 'rr test 7');
    assert.match(result.bodyHtml ?? '', /<p>шостий<\/p>/);
    assert.match(result.bodyHtml ?? '', /charset=koi8-r/);
    assert.deepEqual(result.attachments, []);
  });

  test('rich-text.eml: a kitten and two embedded messages', async () => {
    const result = decodeTnef(await winmailOf('rich-text.eml'));
    assert.deepEqual(
      result.attachments.map((a) => [a.filename, a.content.length, a.contentType]),
      [
        ['kitten-playing-with-a-christmas-tree.jpg', 375081, undefined],
        ['Untitled Attachment', 6508, TNEF_CONTENT_TYPE],
        ['Untitled Attachment', 385301, TNEF_CONTENT_TYPE],
      ],
    );
    assert.match(rtfToText(result.bodyRtf ?? ''), /Christmas to remember/);
    assert.deepEqual(result.warnings, []);
  });
});

// ---------------------------------------------------------------- hand-built blobs

function attribute(level: number, id: number, data: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head[0] = level;
  head.writeUInt32LE(id, 1);
  head.writeUInt32LE(data.length, 5);
  let sum = 0;
  for (const b of data) sum += b;
  const tail = Buffer.alloc(2);
  tail.writeUInt16LE(sum & 0xffff);
  return Buffer.concat([head, data, tail]);
}

function tnef(...attributes: Buffer[]): Buffer {
  const head = Buffer.alloc(6);
  head.writeUInt32LE(TNEF_SIGNATURE, 0);
  head.writeUInt16LE(0x0001, 4);
  return Buffer.concat([head, ...attributes]);
}

const rendData = (): Buffer => attribute(2, 0x00069002, Buffer.alloc(14));
const title = (name: string): Buffer => attribute(2, 0x00018010, Buffer.from(`${name}\0`, 'latin1'));
const attachData = (data: string | Buffer): Buffer => attribute(2, 0x0006800f, Buffer.from(data));

/** A one-property MAPI list holding a PtypString (UTF-16) value, padded as TNEF wants. */
function unicodeProp(id: number, value: string): Buffer {
  const text = Buffer.from(`${value}\0`, 'utf16le');
  const pad = Buffer.alloc((4 - (text.length % 4)) % 4);
  const head = Buffer.alloc(16);
  head.writeUInt32LE(1, 0); // property count
  head.writeUInt16LE(0x001f, 4);
  head.writeUInt16LE(id, 6);
  head.writeUInt32LE(1, 8); // value count
  head.writeUInt32LE(text.length, 12);
  return Buffer.concat([head, text, pad]);
}

describe('decodeTnef on hand-built blobs', () => {
  test('a minimal blob: title and data', () => {
    const result = decodeTnef(tnef(rendData(), title('a.txt'), attachData('hello')));
    assert.deepEqual(result.attachments, [{ filename: 'a.txt', content: Buffer.from('hello') }]);
    assert.deepEqual(result.warnings, []);
  });

  test('PR_ATTACH_LONG_FILENAME wins over the 8.3 title', () => {
    const longName = 'Quarterly report — Zürich 2024.txt';
    const result = decodeTnef(tnef(rendData(), title('QUARTE~1.TXT'), attachData('x'), attribute(2, 0x00069005, unicodeProp(0x3707, longName))));
    assert.equal(result.attachments[0]!.filename, longName);
  });

  test('no name at all gets a numbered one', () => {
    const result = decodeTnef(tnef(rendData(), attachData('a'), rendData(), attachData('b')));
    assert.deepEqual(result.attachments.map((a) => a.filename), ['attachment-1', 'attachment-2']);
  });

  test('not TNEF, empty, or cut inside the header: a clear error', () => {
    assert.throws(() => decodeTnef(Buffer.from('hello, world')), (err: unknown) => err instanceof TnefDecodeError && /bad signature/.test(err.message));
    assert.throws(() => decodeTnef(Buffer.alloc(0)), /too short/);
    assert.throws(() => decodeTnef(tnef(rendData()).subarray(0, 12)), /trailing bytes/);
  });

  test('an attribute claiming 4 GiB is refused without allocating it', () => {
    const bad = tnef(rendData(), attachData('abc'));
    bad.writeUInt32LE(0xfffffff0, bad.length - 5 - 4); // the length field of the last attribute
    const started = performance.now();
    assert.throws(() => decodeTnef(bad), /claims 4294967280 bytes/);
    assert.ok(performance.now() - started < 100);
  });

  test('a lying property count is contained to its attribute', () => {
    const props = Buffer.alloc(8);
    props.writeUInt32LE(0x7fffffff, 0);
    const result = decodeTnef(tnef(rendData(), title('keep.txt'), attachData('kept'), attribute(2, 0x00069005, props)));
    assert.deepEqual(result.attachments.map((a) => [a.filename, a.content.toString()]), [['keep.txt', 'kept']]);
    assert.match(result.warnings.join('\n'), /property count 2147483647 cannot fit/);
  });

  test('a bad checksum is a warning, not a failure', () => {
    const blob = tnef(rendData(), title('a.txt'), attachData('hello'));
    blob[blob.length - 1] ^= 0xff;
    const result = decodeTnef(blob);
    assert.equal(result.attachments[0]!.content.toString(), 'hello');
    assert.match(result.warnings.join('\n'), /bad checksum/);
  });

  test('too many attachments is refused', () => {
    const many = Array.from({ length: 5 }, () => [rendData(), attachData('x')]).flat();
    assert.throws(() => decodeTnef(tnef(...many), { maxAttachments: 4 }), /more than 4 attachments/);
  });
});

describe('decompressRtf', () => {
  test('decodes a known LZFu stream and checks its CRC', () => {
    const compressed = Buffer.from('\x1a\x00\x00\x00\x1c\x00\x00\x00LZFu\xe2\xd4KQA\x00\x04 WXYZ\rn}\x01\x0e\xb0', 'latin1');
    const { rtf, crcOk } = decompressRtf(compressed);
    assert.equal(rtf.toString('latin1'), '{\\rtf1 WXYZWXYZWXYZWXYZWXYZ}');
    assert.equal(crcOk, true);
    compressed[20] ^= 1;
    assert.equal(decompressRtf(compressed).crcOk, false);
  });

  test('refuses a declared size over the cap before allocating', () => {
    const header = Buffer.alloc(16);
    header.writeUInt32LE(12, 0);
    header.writeUInt32LE(0xffffffff, 4);
    header.write('LZFu', 8, 'latin1');
    assert.throws(() => decompressRtf(header), /over the 16777216-byte cap/);
  });
});

// ---------------------------------------------------------------- hostile input

/** Deterministic PRNG (mulberry32) so a failure can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('decodeTnef on mutated corpus blobs', () => {
  test('truncations, bit flips and huge lengths either decode or throw TnefDecodeError', () => {
    const random = prng(20241204);
    let decoded = 0;
    let refused = 0;
    const started = performance.now();
    for (const name of blobNames) {
      const original = readFileSync(join(CORPUS, `${name}.tnef`));
      for (let round = 0; round < 150; round++) {
        let blob = Buffer.from(original);
        const how = round % 3;
        if (how === 0) blob = blob.subarray(0, Math.floor(random() * blob.length));
        else if (how === 1) for (let i = 0; i < 4; i++) blob[Math.floor(random() * blob.length)] = Math.floor(random() * 256);
        else if (blob.length > 8) blob.writeUInt32LE(random() < 0.5 ? 0xffffffff : Math.floor(random() * 0x7fffffff), Math.floor(random() * (blob.length - 4)));
        try {
          const result = decodeTnef(blob);
          for (const a of result.attachments) assert.ok(a.content.length <= blob.length);
          decoded++;
        } catch (err) {
          if (!(err instanceof TnefDecodeError)) throw new Error(`${name} round ${round}: ${String(err)}`, { cause: err });
          refused++;
        }
      }
    }
    assert.ok(decoded > 0 && refused > 0, `decoded ${decoded}, refused ${refused}`);
    assert.ok(performance.now() - started < 20_000, 'mutated blobs took too long');
  });
});
