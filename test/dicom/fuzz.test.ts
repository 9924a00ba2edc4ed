/**
 * Property tests (fast-check) for the codec.
 *
 * 1. Mutated real files: whatever bytes come in, the parser either fails with a typed error
 *    or reads them, and what it reads writes back to exactly the bytes that came in. The
 *    stream form agrees with the one-shot form, whatever the chunking.
 * 2. Generated datasets: any token tree (nested sequences and items of defined and undefined
 *    length, streamed values, encapsulated fragments) written in each transfer syntax reads
 *    back as the same tokens.
 *
 * Runs are bounded in number; the seed is printed on failure so a case can be replayed.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import fc from 'fast-check'
import t from 'tap'
import { isDicomgateError } from '../../src/errors.js'
import { createDicomTransform, readTokens, writeTokens } from '../../src/dicom/stream.js'
import { UNDEFINED_LENGTH } from '../../src/dicom/tags.js'
import type { Token } from '../../src/dicom/tokens.js'
import {
  EXPLICIT_VR_BIG_ENDIAN,
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
  type TransferSyntax
} from '../../src/dicom/transfer-syntax.js'
import { hasLongLength, type VR } from '../../src/dicom/vr.js'
import { FIXTURES_DIR } from '../helpers/corpus.js'
import { tokenDigest } from '../helpers/tokens.js'

const RUNS = Number(process.env.DICOMGATE_FUZZ_RUNS ?? 300)
/** Replay a reported failure: DICOMGATE_FUZZ_SEED=<seed printed by fast-check>. */
const SEED = process.env.DICOMGATE_FUZZ_SEED === undefined ? {} : { seed: Number(process.env.DICOMGATE_FUZZ_SEED) }

const SEEDS = [
  'pydicom/MR_small_implicit.dcm',
  'pydicom/MR_small_bigendian.dcm',
  'pydicom/UN_sequence.dcm',
  'pydicom/nested_priv_SQ.dcm',
  'pydicom/JPEGLSNearLossless_16.dcm',
  'dcmjs/sample-sr.dcm',
  'pydicom/ExplVR_BigEndNoMeta.dcm'
].map((name) => readFileSync(join(FIXTURES_DIR, name)))

type Outcome = { ok: true, bytes: Buffer } | { ok: false, code: string }

function oneShot (bytes: Uint8Array): Outcome {
  try {
    return { ok: true, bytes: writeTokens(readTokens(bytes, { wholeValueThreshold: 256 })) }
  } catch (err) {
    if (!isDicomgateError(err)) throw err
    return { ok: false, code: err.code }
  }
}

async function streamed (bytes: Uint8Array, chunk: number): Promise<Outcome> {
  const pieces: Uint8Array[] = []
  for (let i = 0; i < bytes.length; i += chunk) pieces.push(bytes.subarray(i, i + chunk))
  try {
    return { ok: true, bytes: await buffer(Readable.from(pieces).pipe(createDicomTransform({ wholeValueThreshold: 256 }))) }
  } catch (err) {
    if (!isDicomgateError(err)) throw err
    return { ok: false, code: err.code }
  }
}

/** A seed file with some bytes overwritten, some cut, or some inserted. */
const mutated = fc.record({
  seed: fc.nat({ max: SEEDS.length - 1 }),
  edits: fc.array(fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }), kind: fc.constantFrom('overwrite', 'insert', 'cut') }), { minLength: 1, maxLength: 6 })
}).map(({ seed, edits }) => {
  let bytes = Buffer.from(SEEDS[seed] as Buffer)
  for (const edit of edits) {
    const at = Math.floor(edit.at * bytes.length)
    if (edit.kind === 'overwrite') bytes.set(edit.bytes.subarray(0, bytes.length - at), at)
    else if (edit.kind === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), edit.bytes, bytes.subarray(at)])
    else bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + edit.bytes.length * 16))])
  }
  return bytes
})

/**
 * The writer recomputes File Meta Information Group Length (PS3.10 §7.1), so a mutation of
 * that value is corrected rather than copied: the only 4 bytes allowed to differ.
 */
function sameExceptMetaGroupLength (out: Buffer, input: Buffer): boolean {
  if (out.equals(input)) return true
  if (out.length !== input.length) return false
  const at = input.indexOf(Buffer.from([0x02, 0x00, 0x00, 0x00, 0x55, 0x4c, 0x04, 0x00]))
  if (at < 0 || at > 132) return false
  const a = Buffer.from(out)
  a.set(input.subarray(at + 8, at + 12), at + 8)
  return a.equals(input)
}

t.test('mutated files: a typed error, or an exact round trip', async (t) => {
  let typed = 0
  let clean = 0
  fc.assert(fc.property(mutated, (bytes) => {
    const outcome = oneShot(bytes)
    if (outcome.ok) {
      clean++
      return sameExceptMetaGroupLength(outcome.bytes, bytes)
    }
    typed++
    return true
  }), { ...SEED, numRuns: RUNS * 4 })
  t.pass(`${typed} typed errors, ${clean} clean reads that round-tripped`)
})

t.test('mutated files: the stream form agrees with the one-shot form at any chunking', async (t) => {
  await fc.assert(fc.asyncProperty(mutated, fc.integer({ min: 1, max: 4096 }), async (bytes, chunk) => {
    const a = oneShot(bytes)
    const b = await streamed(bytes, chunk)
    if (a.ok !== b.ok) return false
    if (a.ok && b.ok) return a.bytes.equals(b.bytes)
    return !a.ok && !b.ok && a.code === b.code
  }), { ...SEED, numRuns: RUNS })
  t.pass('agreed')
})

t.test('random bytes after a valid preamble: typed errors only', async (t) => {
  const preamble = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM')])
  fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), fc.boolean(), (tail, withPreamble) => {
    const bytes = withPreamble ? Buffer.concat([preamble, tail]) : Buffer.from(tail)
    const outcome = oneShot(bytes)
    return !outcome.ok || sameExceptMetaGroupLength(outcome.bytes, bytes)
  }), { ...SEED, numRuns: RUNS * 4 })
  t.pass('no untyped error')
})

// ── generated datasets ──────────────────────────────────────────────────────────────

type Node =
  | { kind: 'element', tag: number, vr: VR, value: Uint8Array }
  | { kind: 'sequence', tag: number, defined: boolean, items: Array<{ defined: boolean, children: Node[] }> }
  | { kind: 'encapsulated', fragments: Uint8Array[] }

const VALUE_VRS: readonly VR[] = ['AE', 'CS', 'DA', 'DS', 'LO', 'LT', 'OB', 'OW', 'PN', 'SH', 'ST', 'UI', 'UL', 'US', 'UT', 'FD', 'UN']

/** Tags in increasing order do not matter to the codec; private groups keep implicit VR UN. */
const privateTag = fc.tuple(fc.integer({ min: 0x0009, max: 0x7fdf }), fc.integer({ min: 0x1000, max: 0xffff }))
  .map(([g, e]) => (((g | 1) << 16) | e) >>> 0)

function nodeArbitrary (explicit: boolean): fc.Arbitrary<Node[]> {
  const { dataset } = fc.letrec<{ dataset: Node[], node: Node }>((tie) => ({
    dataset: fc.array(tie('node'), { maxLength: 5 }),
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.record({
        kind: fc.constant('element' as const),
        tag: privateTag,
        vr: explicit ? fc.constantFrom(...VALUE_VRS) : fc.constant<VR>('UN'),
        // Up to 700 bytes: with a 256-byte threshold, some values stream in chunks.
        value: fc.uint8Array({ maxLength: 700 })
      }),
      fc.record({
        kind: fc.constant('sequence' as const),
        tag: privateTag,
        // Implicit VR: a private sequence is only recognisable with undefined length.
        defined: explicit ? fc.boolean() : fc.constant(false),
        items: fc.array(fc.record({ defined: fc.boolean(), children: tie('dataset') }), { maxLength: 3 })
      })
    )
  }))
  return dataset
}

const encapsulated = fc.array(fc.uint8Array({ maxLength: 600 }), { minLength: 1, maxLength: 4 })
  .map((fragments): Node => ({ kind: 'encapsulated', fragments }))

/** Encoded size of nodes, to give defined-length containers their true lengths. */
function sizeOf (nodes: readonly Node[], explicit: boolean): number {
  let size = 0
  for (const node of nodes) {
    if (node.kind === 'element') {
      size += (explicit && !hasLongLength(node.vr) ? 8 : explicit ? 12 : 8) + node.value.length
    } else if (node.kind === 'sequence') {
      size += (explicit ? 12 : 8) + sequenceContentSize(node, explicit) + (node.defined ? 0 : 8)
    } else {
      size += (explicit ? 12 : 8) + node.fragments.reduce((n, f) => n + 8 + f.length, 0) + 8
    }
  }
  return size
}

function sequenceContentSize (node: Extract<Node, { kind: 'sequence' }>, explicit: boolean): number {
  return node.items.reduce((n, item) => n + 8 + sizeOf(item.children, explicit) + (item.defined ? 0 : 8), 0)
}

function toTokens (nodes: readonly Node[], explicit: boolean, out: Token[]): Token[] {
  for (const node of nodes) {
    if (node.kind === 'element') {
      // Short-length VRs hold at most 65535 bytes; all generated values fit.
      out.push({ type: 'element', tag: node.tag, vr: node.vr, value: node.value })
    } else if (node.kind === 'sequence') {
      out.push({ type: 'sequence-start', tag: node.tag, vr: explicit ? 'SQ' : 'UN', length: node.defined ? sequenceContentSize(node, explicit) : UNDEFINED_LENGTH })
      for (const item of node.items) {
        out.push({ type: 'item-start', length: item.defined ? sizeOf(item.children, explicit) : UNDEFINED_LENGTH })
        toTokens(item.children, explicit, out)
        out.push({ type: 'item-end' })
      }
      out.push({ type: 'sequence-end' })
    } else {
      // Implicit VR: Pixel Data reads as OW from the dictionary.
      out.push({ type: 'encapsulated-start', tag: 0x7fe00010, vr: explicit ? 'OB' : 'OW' })
      node.fragments.forEach((bytes, index) => {
        out.push({ type: 'fragment-start', index, length: bytes.length })
        if (bytes.length > 0) out.push({ type: 'value-chunk', bytes })
        out.push({ type: 'fragment-end' })
      })
      out.push({ type: 'encapsulated-end' })
    }
  }
  return out
}

function fileTokens (syntax: TransferSyntax, nodes: readonly Node[]): Token[] {
  const uid = syntax.uid.length % 2 === 1 ? `${syntax.uid}\0` : syntax.uid
  return toTokens(nodes, syntax.explicitVR, [
    { type: 'preamble', bytes: new Uint8Array(128) },
    { type: 'element', tag: 0x00020010, vr: 'UI', value: Buffer.from(uid, 'latin1') },
    { type: 'dataset', transferSyntax: syntax, source: 'meta' },
    // A first element of group 0008 ends the meta unambiguously.
    { type: 'element', tag: 0x00080060, vr: 'CS', value: Buffer.from('OT', 'latin1') }
  ])
}

for (const syntax of [EXPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_BIG_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN]) {
  t.test(`generated datasets round-trip: ${syntax.name}`, async (t) => {
    const dataset = fc.tuple(nodeArbitrary(syntax.explicitVR), fc.option(encapsulated, { nil: undefined }))
      .map(([nodes, pixels]) => pixels === undefined ? nodes : [...nodes, pixels])
    fc.assert(fc.property(dataset, (nodes) => {
      const tokens = fileTokens(syntax, nodes)
      const bytes = writeTokens(tokens)
      const back = readTokens(bytes, { wholeValueThreshold: 256 })
      // Streamed values come back as value-start/chunk/end: compare through the writer.
      return writeTokens(back).equals(bytes) && tokenDigest(readTokens(bytes, { wholeValueThreshold: 1 << 20 })) === tokenDigest(tokens)
    }), { ...SEED, numRuns: RUNS })
    t.pass(`${RUNS} generated datasets`)
  })
}
