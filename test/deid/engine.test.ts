/**
 * The Part 10 engine's own contract (src/deid/engine.ts), beside the table, canary and
 * corpus tests: what it writes around the dataset (meta, preamble, markers), that nothing
 * is written before the head is decided, its limits, that the stream and whole-buffer forms
 * agree at any chunking, determinism under one secret, and passthrough.
 */
import { Buffer } from 'node:buffer'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import t from 'tap'
import { createDeidTransform, deidentifyBuffer, IMPLEMENTATION_CLASS_UID, type DeidOptions } from '../../src/deid/index.js'
import { loadProfile } from '../../src/deid/profile/load.js'
import { readTokens } from '../../src/dicom/stream.js'
import { formatTag, makeTag } from '../../src/dicom/tags.js'
import type { Token } from '../../src/dicom/tokens.js'
import { deriveKeys, keyedUid } from '../../src/pseudonym/keys.js'
import { FIXTURES_DIR } from '../helpers/corpus.js'

const SECRET = Buffer.alloc(32, 7)
const keys = deriveKeys(SECRET)
const basic = loadProfile('basic')
const research = loadProfile('research')

function fixture (path: string): Buffer {
  return readFileSync(join(FIXTURES_DIR, path))
}

function run (bytes: Uint8Array, options: DeidOptions): Buffer {
  return Buffer.concat(deidentifyBuffer(bytes, options))
}

async function runStream (bytes: Uint8Array, options: DeidOptions, chunk: number): Promise<Buffer> {
  const pieces: Uint8Array[] = []
  for (let i = 0; i < bytes.length; i += chunk) pieces.push(bytes.subarray(i, i + chunk))
  return buffer(Readable.from(pieces).pipe(createDeidTransform(options)))
}

/** Top-level element values by tag (strings, padding removed). */
function topValues (tokens: readonly Token[]): Map<number, string> {
  const values = new Map<number, string>()
  let depth = 0
  for (const tk of tokens) {
    if (tk.type === 'sequence-start') depth++
    else if (tk.type === 'sequence-end') depth--
    else if (tk.type === 'element' && depth === 0) values.set(tk.tag, Buffer.from(tk.value).toString('latin1').replace(/[\0 ]+$/, ''))
  }
  return values
}

t.test('file meta is written anew, the preamble zeroed, the markers added in tag order', async (t) => {
  const input = fixture('pydicom/CT_small.dcm')
  const inputValues = topValues(readTokens(input))
  const tokens = readTokens(run(input, { profile: research, keys }))
  const preamble = tokens[0]
  t.equal(preamble?.type, 'preamble')
  t.ok(preamble?.type === 'preamble' && preamble.bytes.every((b) => b === 0), 'preamble is zeros (CVE-2019-11687)')
  const values = topValues(tokens)
  const sopInstance = inputValues.get(makeTag(0x0008, 0x0018)) as string
  t.equal(values.get(makeTag(0x0002, 0x0003)), keyedUid(keys, sopInstance), 'Media Storage SOP Instance UID maps like the SOP Instance UID')
  t.equal(values.get(makeTag(0x0008, 0x0018)), keyedUid(keys, sopInstance))
  t.equal(values.get(makeTag(0x0002, 0x0012)), IMPLEMENTATION_CLASS_UID)
  t.notOk(values.has(makeTag(0x0002, 0x0016)), 'no Source Application Entity Title')
  t.equal(values.get(makeTag(0x0012, 0x0062)), 'YES')
  t.match(values.get(makeTag(0x0012, 0x0063)), /^dicomgate research/)
  t.equal(values.get(makeTag(0x0028, 0x0303)), 'MODIFIED', 'research shifts dates')
  t.equal(topValues(readTokens(run(input, { profile: basic, keys }))).get(makeTag(0x0028, 0x0303)), 'REMOVED')
  const tags = tokens.filter((tk): tk is Token & { type: 'element' } => tk.type === 'element').map((tk) => tk.tag)
  // Top-level tags ascend (meta first, then the dataset; items reset the order).
  const top: number[] = []
  let depth = 0
  for (const tk of tokens) {
    if (tk.type === 'sequence-start') { if (depth === 0) top.push(tk.tag); depth++ } else if (tk.type === 'sequence-end') depth--
    else if (tk.type === 'element' && depth === 0) top.push(tk.tag)
  }
  t.same(top, [...top].sort((a, b) => a - b), 'top-level attributes in ascending order')
  t.ok(tags.includes(makeTag(0x0012, 0x0064)) || top.includes(makeTag(0x0012, 0x0064)), 'method code sequence present')
})

t.test('codes of the options applied go into (0012,0064)', async (t) => {
  const tokens = readTokens(run(fixture('pydicom/CT_small.dcm'), { profile: research, keys }))
  const codes = tokens.filter((tk): tk is Token & { type: 'element' } => tk.type === 'element' && tk.tag === makeTag(0x0008, 0x0100))
    .map((tk) => Buffer.from(tk.value).toString('latin1').trim())
  t.same(new Set(codes), new Set(research.methodCodes.map((c) => c.codeValue)))
  t.ok(codes.includes('113100') && codes.includes('113107'), 'basic profile and modified dates')
})

t.test('a rejected instance fails before any byte is written', async (t) => {
  const sc = fixture('pydicom/SC_rgb_jpeg_dcmtk.dcm')
  t.throws(() => run(sc, { profile: basic, keys }), { code: 'DG_DEID_REJECTED_SOP_CLASS' })
  const stream = createDeidTransform({ profile: basic, keys })
  let written = 0
  stream.on('data', (chunk: Buffer) => { written += chunk.length })
  await t.rejects(buffer(Readable.from([sc.subarray(0, 4000), sc.subarray(4000)]).pipe(stream)), { code: 'DG_DEID_REJECTED_SOP_CLASS' })
  t.equal(written, 0, 'no output at all')
})

t.test('the head is bounded', async (t) => {
  t.throws(() => run(fixture('pydicom/CT_small.dcm'), { profile: basic, keys, limits: { maxHeaderBytes: 200 } }), { code: 'DG_DEID_HEADER_TOO_LARGE' })
})

t.test('the stream form agrees with the whole-buffer form at any chunking', async (t) => {
  const files = ['pydicom/CT_small.dcm', 'pydicom/MR_small_bigendian.dcm', 'pydicom/rtstruct.dcm', 'dicomparser/report_dfl',
    'pydicom/UN_sequence.dcm', 'dcmjs/sample-sr.dcm', 'pydicom-data/OBXXXX1A_rle_2frame.dcm']
  for (const file of files) {
    const input = fixture(file)
    for (const profile of [basic, research]) {
      const whole = run(input, { profile, keys })
      for (const chunk of [7, 64, 65536]) {
        const streamed = await runStream(input, { profile, keys, codec: { wholeValueThreshold: 256 } }, chunk)
        t.ok(streamed.equals(whole), `${file} ${profile.name} chunks of ${chunk} (values over 256 bytes streamed)`)
      }
    }
  }
})

t.test('one secret gives one output; another secret other UIDs', async (t) => {
  const input = fixture('pydicom/CT_small.dcm')
  t.ok(run(input, { profile: research, keys }).equals(run(input, { profile: research, keys })), 'deterministic')
  const other = topValues(readTokens(run(input, { profile: research, keys: deriveKeys(Buffer.alloc(32, 8)) })))
  const mine = topValues(readTokens(run(input, { profile: research, keys })))
  t.not(other.get(makeTag(0x0020, 0x000d)), mine.get(makeTag(0x0020, 0x000d)), 'Study Instance UID depends on the key')
})

t.test('dates of one patient shift by one offset; times are kept', async (t) => {
  const input = fixture('pydicom/CT_small.dcm')
  const before = topValues(readTokens(input))
  const after = topValues(readTokens(run(input, { profile: research, keys })))
  const days = (d: string): number => Date.UTC(Number(d.slice(0, 4)), Number(d.slice(4, 6)) - 1, Number(d.slice(6, 8))) / 86400000
  const offsets = new Set<number>()
  for (const tag of [0x00080020, 0x00080021, 0x00080022, 0x00080023]) {
    const b = before.get(tag)
    const a = after.get(tag)
    if (b === undefined || b === '' || a === undefined) continue
    offsets.add(days(a) - days(b))
  }
  t.equal(offsets.size, 1, 'one offset for every date')
  const [offset] = offsets
  t.ok(offset !== undefined && offset <= -1 && offset >= -3652, 'within the default range')
  t.equal(after.get(0x00080030), before.get(0x00080030), 'Study Time kept under modified dates')
})

t.test('passthrough changes nothing', async (t) => {
  const input = fixture('pydicom/CT_small.dcm')
  t.ok(run(input, { profile: loadProfile('passthrough'), keys }).equals(input))
})

t.test('a UN-encoded private sequence is removed, not passed on unread', async (t) => {
  const input = fixture('pydicom/UN_sequence.dcm')
  const tokens = readTokens(run(input, { profile: basic, keys }))
  const privateTags = tokens.filter((tk) => 'tag' in tk && ((tk.tag >>> 16) & 1) === 1).map((tk) => formatTag((tk as { tag: number }).tag))
  t.same(privateTags, [], 'no private attribute left under basic')
})

t.test('fail closed: a value too large to rewrite, an unreadable UN sequence; messages carry no PHI', async (t) => {
  const { part10, text } = await import('../helpers/dataset-builder.js')
  const input = fixture('pydicom/CT_small.dcm')
  const inputText = input.toString('latin1')
  const phi = ['CompressedSamples', 'CT1'].filter((v) => inputText.includes(v))
  t.ok(phi.length > 0, 'the fixture carries a patient name to look for')
  const tooLarge = (): Buffer => run(input, { profile: research, keys, limits: { maxRewrittenValueBytes: 20 }, codec: { wholeValueThreshold: 16 } })
  t.throws(tooLarge, { code: 'DG_DEID_VALUE_TOO_LARGE' }, 'a UID streamed past the limit is not passed on')
  const stream = createDeidTransform({ profile: research, keys, limits: { maxRewrittenValueBytes: 20 }, codec: { wholeValueThreshold: 16 } })
  await t.rejects(buffer(Readable.from([input]).pipe(stream)), { code: 'DG_DEID_VALUE_TOO_LARGE' }, 'the stream is destroyed')
  // (0008,1140) Referenced Image Sequence encoded as UN, holding bytes that are no sequence.
  const garbled = part10({ sopClassUID: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUID: '1.2.3' }, [
    text(0x00080016, 'UI', '1.2.840.10008.5.1.4.1.1.2'),
    text(0x00080018, 'UI', '1.2.3'),
    text(0x00081140, 'UN', 'DOE^JOHN not a sequence'),
    text(0x00100010, 'PN', 'DOE^JOHN')
  ])
  t.throws(() => run(garbled, { profile: basic, keys }), { code: 'DG_DEID_UNREADABLE_VALUE' }, 'not passed on unread')
  for (const attempt of [tooLarge, () => run(garbled, { profile: basic, keys }), () => run(fixture('pydicom/SC_rgb_jpeg_dcmtk.dcm'), { profile: basic, keys })]) {
    try {
      attempt()
      t.fail('expected an error')
    } catch (err) {
      const message = String((err as Error).message)
      for (const value of [...phi, 'DOE', 'JOHN']) t.notOk(message.includes(value), `no patient value in "${(err as { code?: string }).code ?? ''}"'s message`)
    }
  }
})
