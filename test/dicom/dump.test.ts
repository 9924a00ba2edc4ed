/**
 * The text dump: line format, sections, values (text, numbers, binary, sequences,
 * fragments), and that it streams: lines come out as tokens arrive, memory stays flat.
 */
import { Buffer } from 'node:buffer'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { DicomDumper, dumpTokens } from '../../src/dicom/dump.js'
import { readTokens } from '../../src/dicom/stream.js'
import { UNDEFINED_LENGTH, type Tag } from '../../src/dicom/tags.js'
import type { Token } from '../../src/dicom/tokens.js'
import { EXPLICIT_VR_BIG_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN, type TransferSyntax } from '../../src/dicom/transfer-syntax.js'
import type { VR } from '../../src/dicom/vr.js'
import { FIXTURES_DIR } from '../helpers/corpus.js'
import { parseInChunks } from '../helpers/tokens.js'

function dataset (syntax: TransferSyntax = EXPLICIT_VR_LITTLE_ENDIAN, source: 'meta' | 'inferred' = 'meta'): Token {
  return { type: 'dataset', transferSyntax: syntax, source }
}

function el (tag: Tag, vr: VR, value: Uint8Array | string): Token {
  return { type: 'element', tag, vr, value: typeof value === 'string' ? Buffer.from(value, 'latin1') : value }
}

/** The part of a line before the `#` comment, without the padding. */
function left (line: string | undefined): string {
  return (line ?? '').replace(/\s+# .*$/, '')
}

t.test('a real file: sections, nesting, item character set', async (t) => {
  const lines = dumpTokens(readTokens(readFileSync(join(FIXTURES_DIR, 'pydicom', 'charset', 'chrSQEncoding.dcm'))))
  t.equal(lines[0], '# Preamble: 128 bytes, then "DICM" (PS3.10 §7.1)')
  t.equal(lines[1], '# File meta information (group 0002, Explicit VR Little Endian)')
  t.equal(lines[2], '(0002,0000) UL 178                                           #     4, 1 FileMetaInformationGroupLength', 'dcmdump layout: value, then # length, VM keyword')
  t.ok(lines.includes('# Dataset: Explicit VR Little Endian (1.2.840.10008.1.2.1)'), 'dataset section names the transfer syntax')
  const from = lines.indexOf('# Dataset: Explicit VR Little Endian (1.2.840.10008.1.2.1)')
  t.same(lines.slice(from + 1).map(left), [
    '(0008,0005) CS [ISO_IR 192]',
    '(0008,0100) SH [Code Value]',
    '(0032,1032) PN [Doctor^Who^^MD]',
    '(0032,1064) SQ (Sequence with defined length)',
    '  (FFFE,E000) na (Item #1 with defined length)',
    '    (0008,0005) CS [ISO 2022 IR 13\\ISO 2022 IR 87]',
    '    (0008,0100) SH [CodeValue]',
    '    (0010,0010) PN [ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう]',
    '  (FFFE,E00D) na (end of item #1)',
    '(FFFE,E0DD) na (end of sequence)'
  ], 'indented by level; the item\'s text decoded with its own character set')
  t.match(lines[from + 4] ?? '', /# {3}128, 1 RequestedProcedureCodeSequence$/)
  t.match(lines[from + 6] ?? '', /# {4}30, 2 SpecificCharacterSet$/, 'VM counts values')
})

t.test('values: numbers, text, binary, empty, long, control characters', async (t) => {
  const long = 'x'.repeat(100)
  const lines = dumpTokens([
    dataset(EXPLICIT_VR_BIG_ENDIAN),
    el(0x00280010, 'US', Buffer.from([0x02, 0x00])),
    el(0x00280030, 'DS', '0.5\\0.5 '),
    el(0x00280009, 'AT', Buffer.from([0x00, 0x18, 0x10, 0x63])),
    el(0x00091001, 'FD', Buffer.from([0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18])),
    el(0x00100010, 'PN', ''),
    el(0x00204000, 'LT', `${long}\r\nend`),
    el(0x00091002, 'OB', Buffer.from(Array.from({ length: 20 }, (_, i) => i))),
    el(0x00091003, 'OW', Buffer.from([0xab, 0xcd])),
    el(0x00090010, 'LO', 'ACME'),
    el(0x00091010, 'UN', Buffer.from([1])),
    el(0x60003000, 'OW', Buffer.from([0, 0])),
    el(0x00080001, 'UL', Buffer.from([0, 0, 0, 4])),
    el(0x00990000, 'UL', Buffer.from([0, 0, 0, 4]))
  ])
  t.equal(lines[0], '# Dataset: Explicit VR Big Endian (retired) (1.2.840.10008.1.2.2)')
  t.same(lines.slice(1).map(left), [
    '(0028,0010) US 512',
    '(0028,0030) DS [0.5\\0.5]',
    '(0028,0009) AT (0018,1063)',
    '(0009,1001) FD 3.141592653589793',
    '(0010,0010) PN (no value available)',
    `(0020,4000) LT [${'x'.repeat(64)}]...`,
    '(0009,1002) OB 00\\01\\02\\03\\04\\05\\06\\07\\08\\09\\0a\\0b\\0c\\0d\\0e\\0f...',
    '(0009,1003) OW ab\\cd',
    '(0009,0010) LO [ACME]',
    '(0009,1010) UN 01',
    '(6000,3000) OW 00\\00',
    '(0008,0001) UL 4',
    '(0099,0000) UL 4'
  ])
  t.match(lines[5] ?? '', /# {5}0, 0 PatientName$/, 'empty: VM 0')
  t.match(lines[6] ?? '', /# {3}105, 1 ImageComments$/)
  t.match(lines[9] ?? '', /PrivateCreator$/)
  t.match(lines[10] ?? '', /PrivateTag$/)
  t.match(lines[11] ?? '', /OverlayData$/, 'repeating groups are in the dictionary')
  t.match(lines[12] ?? '', /\(retired\)$/, 'retired elements say so')
  t.match(lines[13] ?? '', /GroupLength$/)

  const escaped = dumpTokens([dataset(), el(0x00204000, 'LT', 'a\r\nb\tc\x1bd')])
  t.equal(left(escaped[1]), '(0020,4000) LT [a\\r\\nb\\tc\\x1bd]', 'one element, one line')
})

t.test('sequences, undefined lengths, UN sequences, encapsulated pixel data', async (t) => {
  const lines = dumpTokens([
    dataset(IMPLICIT_VR_LITTLE_ENDIAN, 'inferred'),
    { type: 'sequence-start', tag: 0x00081115, vr: 'SQ', length: UNDEFINED_LENGTH },
    { type: 'item-start', length: UNDEFINED_LENGTH },
    { type: 'sequence-start', tag: 0x00091001, vr: 'UN', length: UNDEFINED_LENGTH },
    { type: 'sequence-end' },
    { type: 'item-end' },
    { type: 'item-start', length: 0 },
    { type: 'item-end' },
    { type: 'sequence-end' },
    { type: 'encapsulated-start', tag: 0x7fe00010, vr: 'OB' },
    { type: 'fragment-start', index: 0, length: 0 },
    { type: 'fragment-end' },
    { type: 'fragment-start', index: 1, length: 6 },
    { type: 'value-chunk', bytes: Buffer.from([0xff, 0xd8, 0xff]) },
    { type: 'value-chunk', bytes: Buffer.from([0xe0, 0x00, 0x10]) },
    { type: 'fragment-end' },
    { type: 'encapsulated-end' }
  ])
  t.equal(lines[0], '# Dataset: Implicit VR Little Endian (1.2.840.10008.1.2), inferred from the first bytes: the file meta does not name it')
  t.same(lines.slice(1).map(left), [
    '(0008,1115) SQ (Sequence with undefined length)',
    '  (FFFE,E000) na (Item #1 with undefined length)',
    '    (0009,1001) SQ (Sequence of unknown VR, items in Implicit VR Little Endian (PS3.5 §6.2.2))',
    '    (FFFE,E0DD) na (SequenceDelimitationItem)',
    '  (FFFE,E00D) na (ItemDelimitationItem)',
    '  (FFFE,E000) na (Item #2 with defined length)',
    '  (FFFE,E00D) na (end of item #2)',
    '(FFFE,E0DD) na (SequenceDelimitationItem)',
    '(7FE0,0010) OB (encapsulated pixel data, PS3.5 §A.4)',
    '  (FFFE,E000) pi Basic Offset Table: (empty)',
    '  (FFFE,E000) pi fragment #1: ff\\d8\\ff\\e0\\00\\10',
    '(FFFE,E0DD) na (SequenceDelimitationItem)'
  ])
  t.match(lines[1] ?? '', /# {3}u\/l, 1 ReferencedSeriesSequence$/)
})

t.test('streamed values: a preview, their length, and VM from the length', async (t) => {
  const chunk = Buffer.alloc(1000, 0x41)
  const lines = dumpTokens([
    dataset(),
    { type: 'value-start', tag: 0x7fe00010, vr: 'OW', length: 3000 },
    { type: 'value-chunk', bytes: chunk },
    { type: 'value-chunk', bytes: chunk },
    { type: 'value-chunk', bytes: chunk },
    { type: 'value-end' },
    { type: 'value-start', tag: 0x00660016, vr: 'FL', length: 4000 },
    { type: 'value-chunk', bytes: Buffer.alloc(4000) },
    { type: 'value-end' },
    { type: 'value-start', tag: 0x00204000, vr: 'LT', length: 2000 },
    { type: 'value-chunk', bytes: Buffer.alloc(2000, 0x62) },
    { type: 'value-end' }
  ])
  t.match(lines[1] ?? '', /^\(7FE0,0010\) OW 41\\41\\41\\41\\41\\41\\41\\41\\41\\41\\41\\41\\41\\41\\41\\41\.\.\. +# {2}3000, 1 PixelData$/)
  t.match(lines[2] ?? '', /^\(0066,0016\) FL 0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\.\.\. +# {2}4000, 1000 /)
  t.match(lines[3] ?? '', /^\(0020,4000\) LT \[b{64}\]\.\.\. +# {2}2000, \? ImageComments$/, 'text VM unknown from a preview')
})

t.test('lines come out as tokens arrive (streaming)', async (t) => {
  const lines: string[] = []
  const dumper = new DicomDumper((line) => { lines.push(line) })
  dumper.token(dataset())
  t.equal(lines.length, 1, 'the dataset line at once')
  dumper.token(el(0x00100020, 'LO', 'ID'))
  t.equal(lines.length, 2, 'an element line at once')
  dumper.token({ type: 'value-start', tag: 0x7fe00010, vr: 'OB', length: 4 })
  dumper.token({ type: 'value-chunk', bytes: Buffer.from([1, 2]) })
  t.equal(lines.length, 2, 'a streamed value waits for its end…')
  dumper.token({ type: 'value-chunk', bytes: Buffer.from([3, 4]) })
  dumper.token({ type: 'value-end' })
  t.equal(lines.length, 3, '…and no longer')
})

t.test('memory stays flat while a large value streams through', async (t) => {
  const chunk = Buffer.alloc(1 << 20, 0x5a)
  const chunks = 256
  let count = 0
  const dumper = new DicomDumper(() => { count++ })
  dumper.token(dataset())
  dumper.token({ type: 'value-start', tag: 0x7fe00010, vr: 'OB', length: chunk.length * chunks })
  const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers
  for (let i = 0; i < chunks; i++) dumper.token({ type: 'value-chunk', bytes: chunk })
  const after = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers
  dumper.token({ type: 'value-end' })
  t.equal(count, 2)
  t.ok(after - before < 32 * (1 << 20), `256 MiB streamed, memory grew ${Math.round((after - before) / (1 << 20))} MiB`)
})

t.test('the same lines whatever the chunk size (1, 7, 64, 65536, whole)', async (t) => {
  const bytes = readFileSync(join(FIXTURES_DIR, 'pydicom', 'rtdose.dcm'))
  const whole = dumpTokens(parseInChunks(bytes, 0))
  for (const size of [1, 7, 64, 65536]) t.same(dumpTokens(parseInChunks(bytes, size)), whole, `chunks of ${size}`)
})
