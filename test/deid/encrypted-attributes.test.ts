/**
 * The Encrypted Attributes stage (src/deid/encrypted-attributes.ts), encrypting with
 * dicomgate's CMS module and checked with real tools: `openssl cms -decrypt` opens our
 * Encrypted Content (0400,0520), and what it holds
 * is a bare Explicit VR Little Endian dataset, (0400,0550) with one item holding exactly the
 * original values of what the profile replaced or removed (compared with dcmconv's Little
 * Endian copy for a Big Endian input). Also: the three forms agree (but for the random bytes
 * of the CMS), an existing (0400,0500) gets our item appended, pixel data streams past the
 * boundary, and the limits and refusals.
 */
import { Buffer } from 'node:buffer'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import t, { type Test } from 'tap'
import { createDeidChunkTransform, createDeidTransform, deidentifyBuffer, type DeidOptions } from '../../src/deid/index.js'
import { isMarkerTag } from '../../src/deid/markers.js'
import { loadProfile } from '../../src/deid/profile/load.js'
import { readTokens } from '../../src/dicom/stream.js'
import { formatTag, isGroupLengthTag, makeTag, type Tag } from '../../src/dicom/tags.js'
import type { Token } from '../../src/dicom/tokens.js'
import { EXPLICIT_VR_LITTLE_ENDIAN } from '../../src/dicom/transfer-syntax.js'
import { deriveKeys } from '../../src/pseudonym/keys.js'
import { reidentifyBuffer } from '../../src/reid/index.js'
import { datasetAttributes, fileAttributes } from '../helpers/attributes.js'
import { makeRecipient, opensslSkip } from '../helpers/cms-tools.js'
import { FIXTURES_DIR } from '../helpers/corpus.js'
import { encodeDataset, part10, text } from '../helpers/dataset-builder.js'
import { chunkTransformReusingBuffers, tokenDigest } from '../helpers/tokens.js'

const keys = deriveKeys(Buffer.alloc(32, 7))
const basic = loadProfile('basic')
const research = loadProfile('research')
const ENCRYPTED_ATTRIBUTES_SEQUENCE = makeTag(0x0400, 0x0500)
const ENCRYPTED_CONTENT = makeTag(0x0400, 0x0520)
const MODIFIED_ATTRIBUTES_SEQUENCE = makeTag(0x0400, 0x0550)
/** Recorded whenever the input has them (encrypted-attributes.ts). */
const ALWAYS = new Set([makeTag(0x0008, 0x0005), makeTag(0x0008, 0x0018)])
const restorable = (tag: Tag): boolean => tag < 0x7fe00000 && !isGroupLengthTag(tag)

function fixture (path: string): Buffer {
  return readFileSync(join(FIXTURES_DIR, path))
}

/** The Encrypted Content (0400,0520) values of a file, in order. */
function encryptedContents (bytes: Uint8Array): Uint8Array[] {
  return readTokens(bytes).flatMap((tk) => (tk.type === 'element' && tk.tag === ENCRYPTED_CONTENT ? [tk.value] : []))
}

/** The tokens of the single item of (0400,0550) in a decrypted Encrypted Attributes Data Set. */
function modifiedAttributesItem (t: Test, content: Uint8Array): Token[] {
  const tokens = readTokens(content, { datasetTransferSyntax: EXPLICIT_VR_LITTLE_ENDIAN })
  const [, sequence, item] = tokens
  t.match(sequence, { type: 'sequence-start', tag: MODIFIED_ATTRIBUTES_SEQUENCE, vr: 'SQ' }, 'the content is (0400,0550) SQ')
  t.match(item, { type: 'item-start' })
  t.match(tokens.slice(-2), [{ type: 'item-end' }, { type: 'sequence-end' }], 'one item, and nothing after the sequence')
  return tokens.slice(3, -2)
}

t.test('openssl opens (0400,0520): (0400,0550) holds exactly the originals of what changed', { skip: opensslSkip }, async (t) => {
  const recipient = makeRecipient(t)
  for (const [path, profile] of [['pydicom/CT_small.dcm', basic], ['pydicom/MR_small_implicit.dcm', research], ['dcmjs/sample-sr.dcm', basic], ['pydicom/rtstruct.dcm', research]] as const) {
    const input = fixture(path)
    const output = Buffer.concat(deidentifyBuffer(input, { profile, keys, encryption: { encrypt: recipient.encrypt } }))
    t.match(readTokens(output).find((tk) => tk.type === 'element' && tk.tag === makeTag(0x0400, 0x0510)), { value: Buffer.from('1.2.840.10008.1.2.1\0') }, `${path}: (0400,0510) is Explicit VR Little Endian`)
    const [content, ...others] = encryptedContents(output)
    t.equal(others.length, 0, `${path}: one item`)
    const item = datasetAttributes(modifiedAttributesItem(t, recipient.openssl.decrypt(content as Uint8Array)))
    const original = fileAttributes(input)
    const deid = fileAttributes(output)
    const changed = [...original.dataset.keys()].filter((tag) => restorable(tag) && (deid.dataset.get(tag) !== original.dataset.get(tag) || ALWAYS.has(tag) || isMarkerTag(tag)))
    t.same([...item.dataset.keys()].map(formatTag), changed.map(formatTag), `${path}: the originals are what was replaced or removed (and the always-recorded), in tag order`)
    t.same([...item.dataset].filter(([tag, digest]) => original.dataset.get(tag) !== digest).map(([tag]) => formatTag(tag)), [], `${path}: each with its original value`)
    t.ok(item.dataset.has(makeTag(0x0010, 0x0010)) || !original.dataset.has(makeTag(0x0010, 0x0010)), `${path}: Patient's Name among them`)
  }
})

t.test('a Big Endian input: binary originals are swapped to Little Endian (checked against dcmconv)', { skip: opensslSkip || (spawnSync('dcmconv', ['--version']).status === 0 ? false : 'dcmconv not found') }, async (t) => {
  const recipient = makeRecipient(t)
  const dir = mkdtempSync(join(tmpdir(), 'dicomgate-be-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const path = join(FIXTURES_DIR, 'pydicom', 'MR_small_bigendian.dcm')
  const converted = join(dir, 'le.dcm')
  t.equal(spawnSync('dcmconv', ['+te', path, converted]).status, 0, 'dcmconv +te')
  // basic changes only text in this file: a profile that also removes binary attributes.
  const profilePath = join(dir, 'binary.json')
  writeFileSync(profilePath, JSON.stringify({
    name: 'binary',
    extends: 'basic',
    rules: [{ tag: '(0028,0106)', action: 'X' }, { tag: '(0028,0107)', action: 'X' }, { tag: '(0028,0011)', action: 'X' }]
  }))
  const input = readFileSync(path)
  const output = Buffer.concat(deidentifyBuffer(input, { profile: loadProfile(profilePath), keys, encryption: { encrypt: recipient.encrypt } }))
  const item = datasetAttributes(modifiedAttributesItem(t, recipient.openssl.decrypt(encryptedContents(output)[0] as Uint8Array)))
  const littleEndianBytes = readFileSync(converted)
  const littleEndian = fileAttributes(littleEndianBytes)
  const vrs = new Map(readTokens(littleEndianBytes).flatMap((tk) => (tk.type === 'element' ? [[tk.tag, tk.vr] as const] : [])))
  const binary = [...item.dataset.keys()].filter((tag) => ['US', 'SS', 'UL', 'SL', 'FL', 'FD', 'AT', 'OW'].includes(vrs.get(tag) ?? ''))
  t.ok(binary.length > 0, `binary originals among them: ${binary.map(formatTag).join(' ')}`)
  t.same([...item.dataset].filter(([tag, digest]) => littleEndian.dataset.get(tag) !== digest).map(([tag]) => formatTag(tag)), [], 'every original equals dcmconv\'s Little Endian copy')
})

t.test('whole, stream (7-byte chunks) and chunk forms agree but for the CMS\'s random bytes', { skip: opensslSkip }, async (t) => {
  const recipient = makeRecipient(t)
  for (const path of ['pydicom/CT_small.dcm', 'pydicom/MR_small_bigendian.dcm', 'pydicom-data/OBXXXX1A_rle_2frame.dcm', 'dcmjs/sample-sr.dcm', 'dicomparser/report_dfl']) {
    const input = fixture(path)
    const options: DeidOptions = { profile: basic, keys, encryption: { encrypt: recipient.encrypt } }
    const whole = Buffer.concat(deidentifyBuffer(input, options))
    const pieces: Uint8Array[] = []
    for (let i = 0; i < input.length; i += 7) pieces.push(input.subarray(i, i + 7))
    const forms = [['stream', await buffer(Readable.from(pieces).pipe(createDeidTransform(options)))]] as Array<[string, Buffer]>
    const chunked = chunkTransformReusingBuffers(createDeidChunkTransform(options), input, 7)
    if (chunked !== null) forms.push(['chunk', chunked])
    else t.ok(path.endsWith('_dfl'), `${path}: the chunk form declines only a deflated dataset`)
    const reference = masked(whole, recipient.decrypt)
    for (const [name, bytes] of forms) {
      const form = masked(bytes, recipient.decrypt)
      t.equal(form.rest, reference.rest, `${path}: ${name} form, same bytes around (0400,0520)`)
      t.ok(form.plain.equals(reference.plain), `${path}: ${name} form, same encrypted data set`)
    }
  }
})

/**
 * The file with its (0400,0520) value zeroed (as a digest of its bytes, or of its tokens when
 * the dataset is deflated: the random bytes change the whole deflate stream), and that value
 * decrypted.
 */
function masked (bytes: Buffer, decrypt: (der: Uint8Array) => Uint8Array): { rest: string, plain: Buffer } {
  const tokens = readTokens(bytes)
  const content = tokens.find((tk): tk is Token & { type: 'element' } => tk.type === 'element' && tk.tag === ENCRYPTED_CONTENT)
  if (content === undefined) throw new Error('no (0400,0520)')
  const plain = Buffer.from(decrypt(content.value))
  const deflated = tokens.some((tk) => tk.type === 'dataset' && tk.transferSyntax.deflated)
  if (deflated) return { rest: tokenDigest(tokens.map((tk) => (tk === content ? { ...content, value: new Uint8Array(content.value.length) } : tk))), plain }
  const at = bytes.indexOf(Buffer.from(content.value))
  const rest = Buffer.from(bytes)
  rest.fill(0, at, at + content.value.length)
  return { rest: rest.toString('base64'), plain }
}

t.test('an existing (0400,0500) gets our item appended; each key re-identifies its own step', { skip: opensslSkip }, async (t) => {
  const first = makeRecipient(t, 'first')
  const second = makeRecipient(t, 'second')
  const input = fixture('pydicom/CT_small.dcm')
  const once = Buffer.concat(deidentifyBuffer(input, { profile: basic, keys, encryption: { encrypt: first.encrypt } }))
  const twice = Buffer.concat(deidentifyBuffer(once, { profile: research, keys: deriveKeys(Buffer.alloc(32, 9)), encryption: { encrypt: second.encrypt } }))
  const tops = readTokens(twice).filter((tk) => tk.type === 'sequence-start' && tk.tag === ENCRYPTED_ATTRIBUTES_SEQUENCE)
  t.equal(tops.length, 1, 'one (0400,0500)')
  t.equal(encryptedContents(twice).length, 2, 'with two items, ours last')
  // The second key's item is the second one: the first is tried and is not for this key.
  const back1 = Buffer.concat(reidentifyBuffer(twice, { decrypt: second.decrypt }))
  t.same(fileAttributes(back1).dataset, fileAttributes(once).dataset, 'the second key gives back the first de-identified dataset, its (0400,0500) included')
  const back0 = Buffer.concat(reidentifyBuffer(back1, { decrypt: first.decrypt }))
  const restored = fileAttributes(back0).dataset
  const original = fileAttributes(input).dataset
  t.same([...original].filter(([tag, d]) => restorable(tag) && restored.get(tag) !== d).map(([tag]) => formatTag(tag)), [], 'the first key then gives back the original')
})

t.test('pixel data streams: the Encrypted Attributes are written when Pixel Data begins', { skip: opensslSkip }, async (t) => {
  const recipient = makeRecipient(t)
  const input = fixture('pydicom/CT_small.dcm')
  const pixelTag = Buffer.from([0xe0, 0x7f, 0x10, 0x00])
  const pixelAt = input.indexOf(pixelTag)
  // Values over 1 KiB stream in chunks (the default threshold, 64 KiB, exceeds this Pixel Data).
  const transform = createDeidChunkTransform({ profile: basic, keys, encryption: { encrypt: recipient.encrypt }, codec: { wholeValueThreshold: 1024 } })
  const early = Buffer.concat((transform.write(input.subarray(0, pixelAt + 16384)) ?? []).map((b) => Buffer.from(b)))
  const contentTag = Buffer.from([0x00, 0x04, 0x20, 0x05])
  t.ok(early.includes(contentTag), '(0400,0520) written before the input ended')
  t.ok(early.lastIndexOf(pixelTag) > early.lastIndexOf(contentTag), 'then Pixel Data, already streaming')
  const later = [...(transform.write(input.subarray(pixelAt + 16384)) ?? []), ...transform.end()]
  const rest = Buffer.concat([early, ...later.map((b) => Buffer.from(b))])
  t.equal(encryptedContents(rest).length, 1)
})

t.test('limits and refusals', { skip: opensslSkip }, async (t) => {
  const recipient = makeRecipient(t)
  const input = fixture('pydicom/CT_small.dcm')
  const small: DeidOptions = { profile: basic, keys, encryption: { encrypt: recipient.encrypt, maxOriginalsBytes: 512 } }
  t.throws(() => deidentifyBuffer(input, small), { code: 'DG_DEID_ORIGINALS_TOO_LARGE' }, 'whole buffer')
  await t.rejects(buffer(Readable.from([input]).pipe(createDeidTransform(small))), { code: 'DG_DEID_ORIGINALS_TOO_LARGE' }, 'stream')

  const sop = { sopClassUID: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUID: '1.2.3.4' }
  const disordered = Buffer.concat([
    part10(sop, [text(0x00080016, 'UI', sop.sopClassUID), text(0x00080018, 'UI', sop.sopInstanceUID), text(0x00100010, 'PN', 'Doe^Jane')]),
    encodeDataset([text(0x00080050, 'SH', 'ACC123')])
  ])
  t.throws(() => deidentifyBuffer(disordered, { profile: basic, keys, encryption: { encrypt: recipient.encrypt } }), { code: 'DG_DICOM_MALFORMED' }, 'top-level tags out of order: the originals cannot be matched')

  // A Big Endian dataset with a private UN element that basic removes: its bytes cannot be
  // put in Little Endian order, so the instance is refused rather than encrypted wrong.
  const bigEndian = Buffer.concat([
    beElement(0x00080016, 'UI', Buffer.from('1.2.840.10008.5.1.4.1.1.2\0')),
    beElement(0x00080018, 'UI', Buffer.from('1.2.3.4\0')),
    beElement(0x00100010, 'PN', Buffer.from('Doe^Jane')),
    beElement(0x00110010, 'LO', Buffer.from('ACME 1')),
    beElement(0x00111001, 'UN', Buffer.from([1, 2, 3, 4]))
  ])
  t.equal(Buffer.concat(deidentifyBuffer(bigEndian, { profile: basic, keys })).length > 0, true, 'without encryption the engine removes it')
  t.throws(() => deidentifyBuffer(bigEndian, { profile: basic, keys, encryption: { encrypt: recipient.encrypt } }), { code: 'DG_DEID_UNREADABLE_VALUE' })
  t.throws(() => deidentifyBuffer(bigEndian, { profile: basic, keys, encryption: { encrypt: recipient.encrypt } }), { message: /^\(0011,1001\) \(VR UN, 4 bytes\)/ }, 'the message names the tag, not the value')

  const passthrough = Buffer.concat(deidentifyBuffer(input, { profile: loadProfile('passthrough'), keys, encryption: { encrypt: recipient.encrypt } }))
  t.ok(passthrough.equals(input), 'passthrough changes nothing, so encrypts nothing')
})

/** One Explicit VR Big Endian element (PS3.5 §7.1.2, §7.3). */
function beElement (tag: number, vr: string, value: Buffer): Buffer {
  const long = ['OB', 'OW', 'SQ', 'UN', 'UT'].includes(vr)
  const header = Buffer.alloc(long ? 12 : 8)
  header.writeUInt16BE(tag >>> 16, 0)
  header.writeUInt16BE(tag & 0xffff, 2)
  header.write(vr, 4, 'latin1')
  if (long) header.writeUInt32BE(value.length, 8)
  else header.writeUInt16BE(value.length, 6)
  return Buffer.concat([header, value])
}
