/**
 * The DICOM JSON model (PS3.18 §F.2) built from tokens: every VR kind, person names,
 * character sets scoped to items, byte order, inline vs bulk data, streamed values.
 */
import { Buffer } from 'node:buffer'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import {
  DEFAULT_BULK_DATA_THRESHOLD_BYTES,
  DicomJsonBuilder,
  stringifyDicomJson,
  toDicomJson,
  type DicomJsonDataset,
  type DicomJsonOptions
} from '../../src/dicom/json.js'
import { readTokens } from '../../src/dicom/stream.js'
import { UNDEFINED_LENGTH, type Tag } from '../../src/dicom/tags.js'
import type { Token } from '../../src/dicom/tokens.js'
import {
  EXPLICIT_VR_BIG_ENDIAN,
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
  type TransferSyntax
} from '../../src/dicom/transfer-syntax.js'
import type { VR } from '../../src/dicom/vr.js'
import { FIXTURES_DIR } from '../helpers/corpus.js'
import { parseInChunks } from '../helpers/tokens.js'

// ── token builders ───────────────────────────────────────────────────────────────────

function dataset (syntax: TransferSyntax = EXPLICIT_VR_LITTLE_ENDIAN): Token {
  return { type: 'dataset', transferSyntax: syntax, source: 'meta' }
}

function el (tag: Tag, vr: VR, value: Uint8Array | string): Token {
  return { type: 'element', tag, vr, value: typeof value === 'string' ? Buffer.from(value, 'latin1') : value }
}

function utf8 (text: string): Buffer {
  return Buffer.from(text, 'utf8')
}

type NumberKind = 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'f64' | 'i64' | 'u64'

const WRITERS: Record<NumberKind, readonly [number, (b: Buffer, v: number | bigint, at: number, little: boolean) => void]> = {
  u16: [2, (b, v, at, le) => { if (le) b.writeUInt16LE(Number(v), at); else b.writeUInt16BE(Number(v), at) }],
  i16: [2, (b, v, at, le) => { if (le) b.writeInt16LE(Number(v), at); else b.writeInt16BE(Number(v), at) }],
  u32: [4, (b, v, at, le) => { if (le) b.writeUInt32LE(Number(v), at); else b.writeUInt32BE(Number(v), at) }],
  i32: [4, (b, v, at, le) => { if (le) b.writeInt32LE(Number(v), at); else b.writeInt32BE(Number(v), at) }],
  f32: [4, (b, v, at, le) => { if (le) b.writeFloatLE(Number(v), at); else b.writeFloatBE(Number(v), at) }],
  f64: [8, (b, v, at, le) => { if (le) b.writeDoubleLE(Number(v), at); else b.writeDoubleBE(Number(v), at) }],
  i64: [8, (b, v, at, le) => { if (le) b.writeBigInt64LE(BigInt(v), at); else b.writeBigInt64BE(BigInt(v), at) }],
  u64: [8, (b, v, at, le) => { if (le) b.writeBigUInt64LE(BigInt(v), at); else b.writeBigUInt64BE(BigInt(v), at) }]
}

function numbers (kind: NumberKind, values: Array<number | bigint>, little = true): Buffer {
  const [width, write] = WRITERS[kind]
  const b = Buffer.alloc(width * values.length)
  values.forEach((v, i) => { write(b, v, i * width, little) })
  return b
}

function json (tokens: Token[], options: DicomJsonOptions = {}): DicomJsonDataset {
  return toDicomJson(tokens, options)
}

const seqStart = (tag: Tag, vr: 'SQ' | 'UN' = 'SQ'): Token => ({ type: 'sequence-start', tag, vr, length: UNDEFINED_LENGTH })
const itemStart: Token = { type: 'item-start', length: UNDEFINED_LENGTH }
const itemEnd: Token = { type: 'item-end' }
const seqEnd: Token = { type: 'sequence-end' }

// ── text ─────────────────────────────────────────────────────────────────────────────

t.test('string VRs: split, padding removed, empty values', async (t) => {
  const ds = json([
    dataset(),
    el(0x00080008, 'CS', 'ORIGINAL\\PRIMARY\\AXIAL '),
    el(0x00080016, 'UI', '1.2.840.10008.5.1.4.1.1.2\0'),
    el(0x00080050, 'SH', ''),
    el(0x00080060, 'CS', '  '),
    el(0x00081030, 'LO', 'a\\\\b '),
    el(0x00081040, 'LO', ' leading kept '),
    el(0x00204000, 'LT', 'line one\\not a separator  '),
    el(0x00080020, 'DA', '20240101\0'),
    el(0x00081190, 'UR', 'http://example.org/a b ')
  ])
  t.same(ds['00080008'], { vr: 'CS', Value: ['ORIGINAL', 'PRIMARY', 'AXIAL'] }, 'multi-valued CS, trailing space gone')
  t.same(ds['00080016'], { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] }, 'UI NUL padding gone (PS3.5 §6.2)')
  t.same(ds['00080050'], { vr: 'SH' }, 'empty value: no "Value" (PS3.18 §F.2.5)')
  t.same(ds['00080060'], { vr: 'CS' }, 'only padding: no "Value"')
  t.same(ds['00081030'], { vr: 'LO', Value: ['a', null, 'b'] }, 'an empty value among several is null')
  t.same(ds['00081040'], { vr: 'LO', Value: [' leading kept'] }, 'leading spaces are not padding')
  t.same(ds['00204000'], { vr: 'LT', Value: ['line one\\not a separator'] }, 'LT is single-valued: backslash kept (PS3.5 §6.4)')
  t.same(ds['00080020'], { vr: 'DA', Value: ['20240101'] }, 'NUL padding of other text VRs is padding too')
  t.same(ds['00081190'], { vr: 'UR', Value: ['http://example.org/a b'] })
})

t.test('IS and DS: numbers when valid, the text otherwise (PS3.18 §F.2.3)', async (t) => {
  const ds = json([
    dataset(),
    el(0x00200013, 'IS', ' 12 \\-3\\+4 '),
    el(0x00280030, 'DS', '0.5\\1.5e3 \\-.25'),
    el(0x00280008, 'IS', '1A'),
    el(0x00200012, 'IS', '3000000000'),
    el(0x00281050, 'DS', '1.2.3'),
    el(0x00281051, 'DS', '1\\\\2'),
    el(0x00181314, 'DS', '90 ')
  ])
  t.same(ds['00200013']?.Value, [12, -3, 4])
  t.same(ds['00280030']?.Value, [0.5, 1500, -0.25])
  t.same(ds['00280008']?.Value, ['1A'], 'invalid IS kept as text, not NaN')
  t.same(ds['00200012']?.Value, ['3000000000'], 'IS outside -2^31..2^31-1 (PS3.5 §6.2) kept as text')
  t.same(ds['00281050']?.Value, ['1.2.3'], 'invalid DS kept as text')
  t.same(ds['00281051']?.Value, [1, null, 2], 'empty DS value is null')
  t.same(ds['00181314']?.Value, [90])
})

t.test('PN: component groups as Alphabetic, Ideographic, Phonetic (PS3.18 §F.2.2)', async (t) => {
  const japanese = Buffer.concat([
    Buffer.from('Yamada^Tarou='),
    Buffer.from([0x1b, 0x24, 0x42, 0x3b, 0x33, 0x45, 0x44, 0x1b, 0x28, 0x42, 0x5e, 0x1b, 0x24, 0x42, 0x42, 0x40, 0x4f, 0x3a, 0x1b, 0x28, 0x42]),
    Buffer.from('='),
    Buffer.from([0x1b, 0x24, 0x42, 0x24, 0x64, 0x24, 0x5e, 0x24, 0x40, 0x1b, 0x28, 0x42, 0x5e, 0x1b, 0x24, 0x42, 0x24, 0x3f, 0x24, 0x6d, 0x24, 0x26, 0x1b, 0x28, 0x42])
  ])
  const ds = json([
    dataset(),
    el(0x00080005, 'CS', '\\ISO 2022 IR 87'),
    el(0x00080090, 'PN', 'Doe^John\\Roe^Jane '),
    el(0x00081050, 'PN', '=Ideographic only'),
    el(0x00081060, 'PN', ''),
    el(0x00100010, 'PN', japanese),
    el(0x00101001, 'PN', 'A\\\\B')
  ])
  t.same(ds['00080090']?.Value, [{ Alphabetic: 'Doe^John' }, { Alphabetic: 'Roe^Jane' }], 'multi-valued PN')
  t.same(ds['00081050']?.Value, [{ Ideographic: 'Ideographic only' }], 'empty groups are left out')
  t.same(ds['00081060'], { vr: 'PN' }, 'empty PN: no Value')
  t.same(ds['00100010']?.Value, [{ Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎', Phonetic: 'やまだ^たろう' }], 'ISO 2022 IR 87 decoded, split on = after decoding')
  t.same(ds['00101001']?.Value, [{ Alphabetic: 'A' }, null, { Alphabetic: 'B' }])
})

t.test('Specific Character Set: per dataset, and per item for that item only (PS3.5 §6.1.2.5)', async (t) => {
  const ds = json([
    dataset(),
    el(0x00080005, 'CS', 'ISO_IR 100'),
    el(0x00100010, 'PN', Buffer.from([0x42, 0x75, 0x63, 0x5e, 0x4a, 0xe9, 0x72, 0xf4, 0x6d, 0x65])),
    seqStart(0x00081110),
    itemStart,
    el(0x00080005, 'CS', 'ISO_IR 192'),
    el(0x00081030, 'LO', utf8('Prénom 名')),
    seqStart(0x00081115),
    itemStart,
    el(0x00081040, 'LO', utf8('nested é')),
    itemEnd,
    seqEnd,
    itemEnd,
    itemStart,
    el(0x00081030, 'LO', Buffer.from([0xe9, 0x74, 0xe9])),
    itemEnd,
    seqEnd,
    el(0x00321032, 'PN', Buffer.from([0xc9, 0x5e, 0x41]))
  ])
  t.same(ds['00100010']?.Value, [{ Alphabetic: 'Buc^Jérôme' }], 'dataset in ISO_IR 100')
  const items = ds['00081110']?.Value as DicomJsonDataset[]
  t.same(items[0]?.['00081030']?.Value, ['Prénom 名'], 'the item\'s own ISO_IR 192')
  const nested = items[0]?.['00081115']?.Value as DicomJsonDataset[]
  t.same(nested[0]?.['00081040']?.Value, ['nested é'], 'nested items inherit the item\'s character set')
  t.same(items[1]?.['00081030']?.Value, ['été'], 'the next item is back to the dataset\'s')
  t.same(ds['00321032']?.Value, [{ Alphabetic: 'É^A' }], 'after the sequence, the dataset\'s again')
})

t.test('an unknown character set is an error, not a guess', async (t) => {
  t.throws(() => json([dataset(), el(0x00080005, 'CS', 'ISO_IR 999'), el(0x00100010, 'PN', 'x')]), { code: 'DG_DICOM_UNKNOWN_CHARSET' })
})

// ── numbers ──────────────────────────────────────────────────────────────────────────

function numberTokens (little: boolean): Token[] {
  return [
    dataset(little ? EXPLICIT_VR_LITTLE_ENDIAN : EXPLICIT_VR_BIG_ENDIAN),
    el(0x00280010, 'US', numbers('u16', [512, 65535], little)),
    el(0x00280106, 'SS', numbers('i16', [-2000], little)),
    el(0x00091001, 'UL', numbers('u32', [4294967295], little)),
    el(0x00091002, 'SL', numbers('i32', [-5], little)),
    el(0x00091003, 'FL', numbers('f32', [0.3, -11.2], little)),
    el(0x00091004, 'FD', numbers('f64', [Math.PI], little)),
    el(0x00091005, 'SV', numbers('i64', [-(2n ** 60n), -42n], little)),
    el(0x00091006, 'UV', numbers('u64', [2n ** 64n - 1n, 7n], little)),
    el(0x00280009, 'AT', numbers('u16', [0x0018, 0x1063, 0x0054, 0x0010], little)),
    el(0x00091007, 'FL', numbers('f32', [NaN, Infinity], little))
  ]
}

t.test('binary numbers, little and big endian', async (t) => {
  for (const little of [true, false]) {
    const ds = json(numberTokens(little))
    const order = little ? 'LE' : 'BE'
    t.same(ds['00280010'], { vr: 'US', Value: [512, 65535] }, `US ${order}`)
    t.same(ds['00280106']?.Value, [-2000], `SS ${order}`)
    t.same(ds['00091001']?.Value, [4294967295], `UL ${order}`)
    t.same(ds['00091002']?.Value, [-5], `SL ${order}`)
    t.same(ds['00091003']?.Value, [0.3, -11.2], `FL ${order}: the shortest decimal of the float32`)
    t.same(ds['00091004']?.Value, [Math.PI], `FD ${order}`)
    t.same(ds['00091005']?.Value, [String(-(2n ** 60n)), -42], `SV ${order}: unsafe integers as strings (PS3.18 §F.2.3)`)
    t.same(ds['00091006']?.Value, [String(2n ** 64n - 1n), 7], `UV ${order}`)
    t.same(ds['00280009']?.Value, ['00181063', '00540010'], `AT ${order}`)
    t.same(ds['00091007']?.Value, ['NaN', 'Infinity'], `FL ${order}: NaN and Infinity have no JSON number`)
  }
})

t.test('implicit VR: "US or SS" follows Pixel Representation (PS3.5 §A.1)', async (t) => {
  const tokens = (pixelRepresentation: number, syntax: TransferSyntax): Token[] => [
    dataset(syntax),
    el(0x00280103, 'US', numbers('u16', [pixelRepresentation])),
    el(0x00280106, 'US', numbers('u16', [0xfc18]))
  ]
  t.same(json(tokens(1, IMPLICIT_VR_LITTLE_ENDIAN))['00280106'], { vr: 'SS', Value: [-1000] }, 'signed pixels: SS')
  t.same(json(tokens(0, IMPLICIT_VR_LITTLE_ENDIAN))['00280106'], { vr: 'US', Value: [64536] }, 'unsigned pixels: US')
  t.same(json(tokens(1, EXPLICIT_VR_LITTLE_ENDIAN))['00280106'], { vr: 'US', Value: [64536] }, 'explicit VR says which it is')
})

t.test('a big endian file and its implicit little endian twin give the same JSON', async (t) => {
  const read = (name: string): DicomJsonDataset => toDicomJson(readTokens(readFileSync(join(FIXTURES_DIR, 'pydicom', name))), { bulkDataThreshold: 1 << 20 })
  const be = read('MR_small_bigendian.dcm')
  const le = read('MR_small_implicit.dcm')
  t.same(be, le, 'numbers, SS, and OW pixel data (InlineBinary is little endian) all agree')
  t.equal(be['7FE00010']?.vr, 'OW')
})

// ── binary values and bulk data ──────────────────────────────────────────────────────

t.test('binary VRs: InlineBinary up to the threshold, BulkDataURI above (PS3.18 §F.2.6, §F.2.7)', async (t) => {
  const small = Buffer.alloc(DEFAULT_BULK_DATA_THRESHOLD_BYTES, 7)
  const large = Buffer.alloc(DEFAULT_BULK_DATA_THRESHOLD_BYTES + 1, 7)
  const tokens = [dataset(), el(0x00091010, 'OB', small), el(0x00091011, 'OB', large), el(0x00091012, 'UN', Buffer.from('abc')), el(0x00091013, 'OW', Buffer.alloc(0))]
  const ds = json(tokens)
  t.same(ds['00091010'], { vr: 'OB', InlineBinary: small.toString('base64') }, '1 KiB: inline')
  t.same(ds['00091011'], { vr: 'OB', BulkDataURI: 'bulkdata:00091011' }, 'over 1 KiB: placeholder')
  t.same(ds['00091012'], { vr: 'UN', InlineBinary: Buffer.from('abc').toString('base64') })
  t.same(ds['00091013'], { vr: 'OW' }, 'empty binary: no value')

  const custom = json(tokens, { bulkDataThreshold: 16, bulkDataURI: (path) => `https://pacs.example/bulk/${path}` })
  t.same(custom['00091010'], { vr: 'OB', BulkDataURI: 'https://pacs.example/bulk/00091010' }, 'configurable threshold and URI')
  t.same(custom['00091012']?.InlineBinary, Buffer.from('abc').toString('base64'))
})

t.test('big endian OW/OF/OD are swapped to little endian; OB and UN are bytes', async (t) => {
  const ds = json([
    dataset(EXPLICIT_VR_BIG_ENDIAN),
    el(0x00091010, 'OW', Buffer.from([0x01, 0x02, 0x03, 0x04])),
    el(0x00091011, 'OF', Buffer.from([0x01, 0x02, 0x03, 0x04])),
    el(0x00091012, 'OD', Buffer.from([1, 2, 3, 4, 5, 6, 7, 8])),
    el(0x00091013, 'OB', Buffer.from([0x01, 0x02])),
    el(0x00091014, 'UN', Buffer.from([0x01, 0x02]))
  ])
  t.same(Buffer.from(ds['00091010']?.InlineBinary ?? '', 'base64'), Buffer.from([0x02, 0x01, 0x04, 0x03]))
  t.same(Buffer.from(ds['00091011']?.InlineBinary ?? '', 'base64'), Buffer.from([0x04, 0x03, 0x02, 0x01]))
  t.same(Buffer.from(ds['00091012']?.InlineBinary ?? '', 'base64'), Buffer.from([8, 7, 6, 5, 4, 3, 2, 1]))
  t.same(Buffer.from(ds['00091013']?.InlineBinary ?? '', 'base64'), Buffer.from([0x01, 0x02]))
  t.same(Buffer.from(ds['00091014']?.InlineBinary ?? '', 'base64'), Buffer.from([0x01, 0x02]))
})

t.test('encapsulated pixel data is bulk data, with its tag path', async (t) => {
  const ds = json([
    dataset(),
    seqStart(0x00880200),
    itemStart,
    { type: 'encapsulated-start', tag: 0x7fe00010, vr: 'OB' },
    { type: 'fragment-start', index: 0, length: 0 },
    { type: 'fragment-end' },
    { type: 'fragment-start', index: 1, length: 4 },
    { type: 'value-chunk', bytes: Buffer.from([1, 2, 3, 4]) },
    { type: 'fragment-end' },
    { type: 'encapsulated-end' },
    itemEnd,
    seqEnd,
    { type: 'encapsulated-start', tag: 0x7fe00010, vr: 'OB' },
    { type: 'encapsulated-end' }
  ])
  t.same(ds['7FE00010'], { vr: 'OB', BulkDataURI: 'bulkdata:7FE00010' })
  t.same((ds['00880200']?.Value as DicomJsonDataset[])[0]?.['7FE00010'], { vr: 'OB', BulkDataURI: 'bulkdata:00880200/0/7FE00010' }, 'path: sequence / item index / tag')
})

t.test('streamed values: kept only when small enough to inline', async (t) => {
  const chunks = (tag: Tag, vr: VR, bytes: Buffer, pieces: number): Token[] => {
    const out: Token[] = [{ type: 'value-start', tag, vr, length: bytes.length }]
    const size = Math.ceil(bytes.length / pieces)
    for (let i = 0; i < bytes.length; i += size) out.push({ type: 'value-chunk', bytes: bytes.subarray(i, i + size) })
    out.push({ type: 'value-end' })
    return out
  }
  const ob = Buffer.alloc(3000, 9)
  const text = Buffer.from('word '.repeat(100))
  const fd = numbers('f64', Array.from({ length: 300 }, (_, i) => i))
  const tokens = [dataset(), ...chunks(0x00091010, 'OB', ob, 3), ...chunks(0x00204000, 'LT', text, 4), ...chunks(0x00660016, 'FD', fd, 2)]

  const ds = json(tokens)
  t.same(ds['00091010'], { vr: 'OB', BulkDataURI: 'bulkdata:00091010' }, 'binary over the threshold: only counted')
  t.same(ds['00204000'], { vr: 'LT', Value: ['word '.repeat(100).trimEnd()] }, 'text under the threshold: assembled and decoded')
  t.same(ds['00660016'], { vr: 'FD', BulkDataURI: 'bulkdata:00660016' }, 'FD over the threshold: bulk data (PS3.18 §F.2.2 allows it)')

  const wide = json(tokens, { bulkDataThreshold: 4096 })
  t.same(Buffer.from(wide['00091010']?.InlineBinary ?? '', 'base64'), ob, 'with a larger threshold the chunks are joined')
  t.same((wide['00660016']?.Value ?? []).length, 300)
})

t.test('memory stays flat while a large value streams through', async (t) => {
  const chunk = Buffer.alloc(1 << 20, 0x5a)
  const chunks = 256
  const builder = new DicomJsonBuilder()
  builder.token(dataset())
  builder.token({ type: 'value-start', tag: 0x7fe00010, vr: 'OB', length: chunk.length * chunks })
  const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers
  for (let i = 0; i < chunks; i++) builder.token({ type: 'value-chunk', bytes: chunk })
  const after = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers
  builder.token({ type: 'value-end' })
  t.same(builder.result()['7FE00010'], { vr: 'OB', BulkDataURI: 'bulkdata:7FE00010' })
  t.ok(after - before < 32 * (1 << 20), `256 MiB streamed, memory grew ${Math.round((after - before) / (1 << 20))} MiB`)
})

t.test('chunking does not change the JSON (chunk sizes 1, 7, 64, 65536, whole)', async (t) => {
  const bytes = readFileSync(join(FIXTURES_DIR, 'pydicom', 'charset', 'chrSQEncoding.dcm'))
  const whole = toDicomJson(parseInChunks(bytes, 0))
  for (const size of [1, 7, 64, 65536]) {
    t.same(toDicomJson(parseInChunks(bytes, size)), whole, `chunks of ${size}`)
  }
  const ct = readFileSync(join(FIXTURES_DIR, 'pydicom', 'CT_small.dcm'))
  const reference = toDicomJson(parseInChunks(ct, 0))
  t.same(toDicomJson(parseInChunks(ct, 7, { wholeValueThreshold: 256 })), reference, 'values streamed by the reader give the same JSON')
})

// ── structure ────────────────────────────────────────────────────────────────────────

t.test('sequences, items, file meta and group lengths', async (t) => {
  const tokens: Token[] = [
    { type: 'preamble', bytes: Buffer.alloc(128) },
    el(0x00020000, 'UL', numbers('u32', [30])),
    el(0x00020010, 'UI', '1.2.840.10008.1.2.1\0'),
    dataset(),
    el(0x00080000, 'UL', numbers('u32', [8])),
    seqStart(0x00081110),
    seqEnd,
    seqStart(0x00081115),
    itemStart,
    itemEnd,
    seqEnd
  ]
  const ds = json(tokens)
  t.same(Object.keys(ds), ['00081110', '00081115'], 'no file meta, no group length (PS3.18 §F.2.2)')
  t.same(ds['00081110'], { vr: 'SQ' }, 'a sequence without items has no Value')
  t.same(ds['00081115'], { vr: 'SQ', Value: [{}] }, 'an empty item is {}')
  const withMeta = json(tokens, { includeFileMeta: true })
  t.same(withMeta['00020010'], { vr: 'UI', Value: ['1.2.840.10008.1.2.1'] }, 'file meta on request')
  t.equal(withMeta['00020000'], undefined, 'still no group length')
})

t.test('a UN sequence of undefined length is SQ, its items little endian (PS3.5 §6.2.2)', async (t) => {
  const ds = json([
    dataset(EXPLICIT_VR_BIG_ENDIAN),
    seqStart(0x00091010, 'UN'),
    itemStart,
    el(0x00280010, 'US', numbers('u16', [512], true)),
    itemEnd,
    seqEnd,
    el(0x00280011, 'US', numbers('u16', [256], false))
  ])
  t.same(ds['00091010'], { vr: 'SQ', Value: [{ '00280010': { vr: 'US', Value: [512] } }] })
  t.same(ds['00280011']?.Value, [256], 'big endian again after the sequence')
})

t.test('stringifyDicomJson orders attributes by tag (PS3.18 §F.2.2)', async (t) => {
  const ds = json([
    dataset(),
    el(0x00080005, 'CS', 'ISO_IR 192'),
    el(0x30060020, 'SH', 'roi'),
    el(0x60003000, 'OW', Buffer.from([1, 2]))
  ])
  t.same(Object.keys(JSON.parse(JSON.stringify(ds)) as object)[0], '30060020', 'JSON.stringify would put index-like keys first')
  const text = stringifyDicomJson(ds)
  t.ok(text.indexOf('"00080005"') < text.indexOf('"30060020"') && text.indexOf('"30060020"') < text.indexOf('"60003000"'), 'ascending order')
  t.same(JSON.parse(text), ds, 'same content')
  t.match(stringifyDicomJson(ds, 2), /^\{\n {2}"00080005": \{\n {4}"vr": "CS",\n {4}"Value": \[/, 'indented, vr first')
})

t.test('an incomplete token stream is a typed error', async (t) => {
  const builder = new DicomJsonBuilder()
  builder.token(dataset())
  builder.token(seqStart(0x00081110))
  t.throws(() => builder.result(), { code: 'DG_DICOM_TOKEN_ORDER' })
  t.throws(() => json([dataset(), itemEnd]), { code: 'DG_DICOM_TOKEN_ORDER' })
})
