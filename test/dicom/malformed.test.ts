/**
 * Must show 5 of the codec issue: malformed input ends in a typed error, in bounded time,
 * never with an untyped exception, a hang, or output that looks complete.
 *
 * - every file of the corpus (and fixtures) that dcmtk rejects: a typed error, or a clean
 *   read that round-trips byte for byte;
 * - truncation of several files at every offset: a typed error, except at the boundaries
 *   of top-level elements, where a shorter dataset is indistinguishable from a whole one
 *   (DICOM carries no overall length) and must then round-trip exactly;
 * - each named limit with its own code.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import zlib from 'node:zlib'
import t, { type Test } from 'tap'
import { isDicomgateError, type ErrorCode } from '../../src/errors.js'
import { DicomParser } from '../../src/dicom/parser.js'
import { DicomWriter } from '../../src/dicom/writer.js'
import { createDicomTransform, createReader, readTokens, writeTokens } from '../../src/dicom/stream.js'
import { UNDEFINED_LENGTH } from '../../src/dicom/tags.js'
import type { Token } from '../../src/dicom/tokens.js'
import { DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN } from '../../src/dicom/transfer-syntax.js'
import { FIXTURES_DIR } from '../helpers/corpus.js'
import { inflateDicom } from '../helpers/tokens.js'

/** Small files of different shapes: explicit, implicit, big endian, deflated, encapsulated, SR, UN. */
const TRUNCATED_FILES = [
  'pydicom/MR_small_implicit.dcm',
  'pydicom/MR_small_bigendian.dcm',
  'pydicom/image_dfl.dcm',
  'pydicom/UN_sequence.dcm',
  'pydicom/nested_priv_SQ.dcm',
  'pydicom/JPEGLSNearLossless_16.dcm',
  'dcmjs/sample-sr.dcm',
  'pydicom/ExplVR_BigEndNoMeta.dcm'
]

/** Byte offsets at which a top-level element (or the file meta) ends: where a cut looks whole. */
function topLevelBoundaries (tokens: readonly Token[]): Set<number> {
  const boundaries = new Set<number>()
  const writer = new DicomWriter({ write: () => {}, beginDeflate: () => {} })
  let depth = 0
  for (const token of tokens) {
    writer.token(token)
    switch (token.type) {
      case 'sequence-start': case 'encapsulated-start': case 'value-start': depth++; break
      case 'sequence-end': case 'encapsulated-end': case 'value-end': depth--; break
      default: break
    }
    const ends = token.type === 'element' || token.type === 'sequence-end' || token.type === 'encapsulated-end' || token.type === 'value-end' || token.type === 'dataset'
    if (depth === 0 && ends) boundaries.add(writer.bytesWritten)
  }
  return boundaries
}

/** Where the raw deflate stream of a deflated file ends, or undefined when not deflated. */
function endOfDeflateStream (bytes: Buffer): number | undefined {
  const parser = new DicomParser({ token: () => {} })
  const rest = parser.write(bytes)
  if (rest === undefined) return undefined
  const { engine } = zlib.inflateRawSync(rest, { info: true }) as unknown as { engine: { bytesWritten: number } }
  return bytes.length - rest.length + engine.bytesWritten
}

function expectTypedError (t: Test, fn: () => unknown, message: string): ErrorCode | undefined {
  try {
    fn()
  } catch (err) {
    if (isDicomgateError(err)) return err.code
    t.fail(`${message}: untyped error ${String(err)}`)
    return undefined
  }
  return undefined
}

t.test('truncation at every offset', async (t) => {
  for (const name of TRUNCATED_FILES) {
    t.test(name, async (t) => {
      const bytes = readFileSync(join(FIXTURES_DIR, name))
      const whole = readTokens(bytes)
      // Deflated files: a cut inside the deflate stream must fail; a cut after its end (real
      // files carry 8 trailing bytes, a gzip-style trailer) reads the whole dataset.
      const deflateEnd = endOfDeflateStream(bytes)
      const boundaries = topLevelBoundaries(whole)
      let failures = 0
      let clean = 0
      const started = performance.now()
      for (let cut = 0; cut < bytes.length; cut++) {
        const prefix = bytes.subarray(0, cut)
        let tokens: Token[] | undefined
        const code = expectTypedError(t, () => { tokens = readTokens(prefix) }, `cut at ${cut}`)
        if (tokens === undefined) {
          if (code === undefined) return
          failures++
          continue
        }
        clean++
        // A clean read of a prefix: it must be a top-level boundary and round-trip exactly.
        if (deflateEnd !== undefined) {
          if (cut < deflateEnd) {
            t.fail(`cut at ${cut}, inside the deflate stream, read without error`)
            return
          }
          continue
        }
        if (!boundaries.has(cut)) {
          t.fail(`cut at ${cut} read without error but is not a top-level element boundary`)
          return
        }
        const out = writeTokens(tokens)
        if (!out.equals(prefix)) {
          t.fail(`cut at ${cut} read cleanly but did not round-trip`)
          return
        }
      }
      t.ok(failures > 0, `${failures} cuts failed with typed errors, ${clean} were whole top-level elements`)
      t.comment(`${bytes.length} cuts in ${(performance.now() - started).toFixed(0)} ms`)
    })
  }
})

t.test('a truncated stream errors instead of ending cleanly', async (t) => {
  const bytes = readFileSync(join(FIXTURES_DIR, 'pydicom/MR_small_bigendian.dcm'))
  for (const cut of [200, 500, 1000, bytes.length - 3]) {
    const prefix = bytes.subarray(0, cut)
    await t.rejects(buffer(Readable.from([prefix]).pipe(createDicomTransform())), { code: 'DG_DICOM_TRUNCATED' }, `transform, cut at ${cut}`)
  }
  const deflated = readFileSync(join(FIXTURES_DIR, 'pydicom/image_dfl.dcm'))
  await t.rejects(buffer(Readable.from([deflated.subarray(0, deflated.length - 200)]).pipe(createDicomTransform())),
    { code: 'DG_DICOM_DEFLATE_INVALID' }, 'transform, deflated, cut inside the deflate stream')
  const reader = Readable.from([bytes.subarray(0, 700)]).pipe(createReader())
  await t.rejects(async () => { for await (const tok of reader) void tok }, { code: 'DG_DICOM_TRUNCATED' }, 'reader, object mode')
})

// ── synthetic inputs for each limit and rule ────────────────────────────────────────

const PREAMBLE: Token = { type: 'preamble', bytes: new Uint8Array(128) }
const text = (s: string): Uint8Array => Buffer.from(s, 'latin1')

function part10 (syntax = EXPLICIT_VR_LITTLE_ENDIAN, body: Token[] = []): Token[] {
  return [
    PREAMBLE,
    { type: 'element', tag: 0x00020000, vr: 'UL', value: new Uint8Array(4) },
    { type: 'element', tag: 0x00020010, vr: 'UI', value: text(syntax.uid.length % 2 === 1 ? `${syntax.uid}\0` : syntax.uid) },
    { type: 'dataset', transferSyntax: syntax, source: 'meta' },
    ...body
  ]
}

function nestedSequences (depth: number): Token[] {
  const open: Token[] = []
  const close: Token[] = []
  for (let i = 0; i < depth; i++) {
    open.push({ type: 'sequence-start', tag: 0x00081115, vr: 'SQ', length: UNDEFINED_LENGTH }, { type: 'item-start', length: UNDEFINED_LENGTH })
    close.push({ type: 'item-end' }, { type: 'sequence-end' })
  }
  return [...open, ...close]
}

t.test('limits and rules, each with its own code', async (t) => {
  const depthBomb = writeTokens(part10(EXPLICIT_VR_LITTLE_ENDIAN, nestedSequences(100)))
  t.throws(() => readTokens(depthBomb), { code: 'DG_DICOM_DEPTH_EXCEEDED' }, 'sequences nested past maxDepth (64)')
  t.doesNotThrow(() => readTokens(depthBomb, { limits: { maxDepth: 100 } }), 'the same within a raised limit')

  const long = writeTokens(part10(EXPLICIT_VR_LITTLE_ENDIAN, [{ type: 'element', tag: 0x00081030, vr: 'LO', value: text('x'.repeat(1000)) }]))
  t.throws(() => readTokens(long, { limits: { maxElementLength: 999 } }), { code: 'DG_DICOM_ELEMENT_TOO_LONG' }, 'element over maxElementLength')

  const meta = writeTokens(part10())
  t.throws(() => readTokens(meta, { limits: { maxMetaLength: 16 } }), { code: 'DG_DICOM_HEADER_TOO_LARGE' }, 'file meta over maxMetaLength')

  const unknownSyntax = writeTokens([
    PREAMBLE,
    { type: 'element', tag: 0x00020010, vr: 'UI', value: text('1.2.3.4\0') },
    { type: 'dataset', transferSyntax: EXPLICIT_VR_LITTLE_ENDIAN, source: 'meta' },
    { type: 'element', tag: 0x00080060, vr: 'CS', value: text('CT') }
  ])
  t.throws(() => readTokens(unknownSyntax), { code: 'DG_DICOM_UNKNOWN_TRANSFER_SYNTAX' }, 'unknown transfer syntax UID')

  t.throws(() => readTokens(Buffer.from('this is not a DICOM file at all, just text')), { code: 'DG_DICOM_NOT_DICOM' }, 'text is not DICOM')
  t.throws(() => readTokens(new Uint8Array(0)), { code: 'DG_DICOM_NOT_DICOM' }, 'empty input is not DICOM')

  // (0040,A160) UT with undefined length: PS3.5 §7.1.1 allows it only for SQ, UN and pixel data.
  const undefinedLength = Buffer.concat([writeTokens(part10()), Buffer.from([0x40, 0x00, 0x60, 0xa1, 0x55, 0x54, 0, 0, 0xff, 0xff, 0xff, 0xff])])
  t.throws(() => readTokens(undefinedLength), { code: 'DG_DICOM_UNDEFINED_LENGTH' }, 'undefined length on a UT')
  const implicitUndefined = Buffer.concat([writeTokens(part10(IMPLICIT_VR_LITTLE_ENDIAN)), Buffer.from([0x10, 0x00, 0x10, 0x00, 0xff, 0xff, 0xff, 0xff])])
  t.throws(() => readTokens(implicitUndefined), { code: 'DG_DICOM_UNDEFINED_LENGTH' }, 'undefined length on an implicit PN')

  // A defined-length item whose element runs past the item's end.
  const overrun = writeTokens(part10(EXPLICIT_VR_LITTLE_ENDIAN, [
    { type: 'sequence-start', tag: 0x00081115, vr: 'SQ', length: UNDEFINED_LENGTH },
    { type: 'item-start', length: UNDEFINED_LENGTH },
    { type: 'element', tag: 0x00081150, vr: 'UI', value: text('1.2.3.4\0') },
    { type: 'item-end' },
    { type: 'sequence-end' }
  ]))
  // Patch the item length (undefined → 8) so the 16-byte element overruns it.
  const itemAt = overrun.indexOf(Buffer.from([0xfe, 0xff, 0x00, 0xe0]))
  overrun.writeUInt32LE(8, itemAt + 4)
  t.throws(() => readTokens(overrun), { code: 'DG_DICOM_LENGTH_EXCEEDS_CONTAINER' }, 'element longer than its item')

  const strayDelimiter = Buffer.concat([writeTokens(part10()), Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0])])
  t.throws(() => readTokens(strayDelimiter), { code: 'DG_DICOM_MALFORMED' }, 'a sequence delimiter at the top level')
})

t.test('deflate bomb', async (t) => {
  // A deflated dataset of one 4 MiB OB value of zeros: ~4 KiB compressed.
  // The meta names the deflated syntax; the writer is told plain explicit so it adds nothing.
  const head = writeTokens(part10(EXPLICIT_VR_LITTLE_ENDIAN).map((tok) => tok.type === 'element' && tok.tag === 0x00020010
    ? { ...tok, value: text(`${DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN.uid}\0`) }
    : tok))
  const dataset = Buffer.concat([Buffer.from([0x09, 0x00, 0x10, 0x00, 0x4f, 0x42, 0, 0]), Buffer.from([0, 0, 0x40, 0]), Buffer.alloc(4 << 20)])
  const bomb = Buffer.concat([head, zlib.deflateRawSync(dataset)])
  t.ok(bomb.length < 8192, `the bomb is small (${bomb.length} bytes)`)
  const limits = { maxInflatedLength: 1 << 20 }
  t.throws(() => readTokens(bomb, { limits }), { code: 'DG_DICOM_DEFLATE_BOMB' }, 'one-shot')
  await t.rejects(buffer(Readable.from([bomb]).pipe(createDicomTransform({ limits }))), { code: 'DG_DICOM_DEFLATE_BOMB' }, 'stream')
  t.doesNotThrow(() => readTokens(bomb), 'within the default limit it reads')

  const garbage = Buffer.concat([head, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])])
  t.throws(() => readTokens(garbage), { code: 'DG_DICOM_DEFLATE_INVALID' }, 'not a deflate stream')
})

t.test('files dcmtk rejects among the fixtures', async (t) => {
  const bytes = readFileSync(join(FIXTURES_DIR, 'pydicom/MR_truncated.dcm'))
  t.throws(() => readTokens(bytes), { code: 'DG_DICOM_TRUNCATED' }, 'MR_truncated: pixel data cut short')
  t.ok(inflateDicom(bytes).length > 0)
})

// Regression: kept-back bytes were re-joined on every chunk, so a sender dripping a value
// just under the whole-value threshold one byte at a time cost O(n²) copying. The value
// now grows into one buffer of the needed size; the tokens are the same as when whole.
t.test('a whole value fed one byte at a time', async (t) => {
  const value = Buffer.alloc(65534, 0x41)
  const bytes = writeTokens(part10(EXPLICIT_VR_LITTLE_ENDIAN, [{ type: 'element', tag: 0x00091010, vr: 'OB', value }]))
  const original = Buffer.from(bytes)
  const tokens: Token[] = []
  const parser = new DicomParser({ token: (tok) => { tokens.push(tok) } })
  for (let i = 0; i < bytes.length; i++) parser.write(bytes.subarray(i, i + 1))
  parser.end()
  const element = tokens.find((tok) => tok.type === 'element' && tok.tag === 0x00091010)
  t.ok(element?.type === 'element' && Buffer.from(element.value).equals(value), 'the value arrives whole and intact')
  t.ok(bytes.equals(original), 'the input chunks were not written to')
  t.ok(writeTokens(tokens).equals(bytes), 'and writes back byte for byte')
})
