/**
 * Interoperability with GDCM's gdcmanon (PS3.15 E.1.1 de-identifier, E.1.2 re-identifier;
 * docs/reidentification.md): the Encrypted Content of a real `gdcmanon -e` output decrypts
 * with decryptEnveloped to a raw Explicit VR Little Endian dataset holding the Modified
 * Attributes Sequence with the original values; and content that dicomgate encrypts, put in
 * its place, is what `gdcmanon -d` re-identifies from, to the same file.
 */
import { Buffer } from 'node:buffer'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { WRITABLE_CIPHERS } from '../../src/cms/algorithms.js'
import { decryptEnveloped, encryptEnveloped } from '../../src/cms/enveloped.js'
import { readTokens, writeTokens } from '../../src/dicom/stream.js'
import type { Token } from '../../src/dicom/tokens.js'
import { EXPLICIT_VR_LITTLE_ENDIAN } from '../../src/dicom/transfer-syntax.js'
import { FIXTURES_DIR } from '../helpers/corpus.js'
import { GDCMANON_SKIP, makeRecipient } from '../helpers/cms-recipients.js'

const ENCRYPTED_ATTRIBUTES_SEQUENCE = 0x04000500
const ENCRYPTED_CONTENT_TRANSFER_SYNTAX_UID = 0x04000510
const ENCRYPTED_CONTENT = 0x04000520
const MODIFIED_ATTRIBUTES_SEQUENCE = 0x04000550
const SOP_INSTANCE_UID = 0x00080018
const PATIENT_NAME = 0x00100010
const PATIENT_ID = 0x00100020
const OTHER_PATIENT_IDS_SEQUENCE = 0x00101002

function gdcmanon (args: readonly string[]): void {
  const run = spawnSync('gdcmanon', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  if (run.status !== 0) throw new Error(`gdcmanon ${args[0] ?? ''} failed (${run.status ?? 'signal'}): ${run.stderr.toString()}`)
}

/** The elements of the Encrypted Attributes Sequence's first item, by tag. */
function encryptedItem (tokens: readonly Token[]): Map<number, Uint8Array> {
  const found = new Map<number, Uint8Array>()
  let depth = 0
  let inside = false
  for (const token of tokens) {
    if (token.type === 'sequence-start') {
      if (depth === 0 && token.tag === ENCRYPTED_ATTRIBUTES_SEQUENCE) inside = true
      depth++
    } else if (token.type === 'sequence-end') {
      depth--
      if (depth === 0) inside = false
    } else if (token.type === 'element' && inside && depth === 1) {
      found.set(token.tag, token.value)
    }
  }
  return found
}

/** Top-level elements whole, by tag (the fixture's are small). */
function topLevel (tokens: readonly Token[]): Map<number, Uint8Array> {
  const found = new Map<number, Uint8Array>()
  let depth = 0
  for (const token of tokens) {
    if (token.type === 'sequence-start') depth++
    else if (token.type === 'sequence-end') depth--
    else if (token.type === 'element' && depth === 0) found.set(token.tag, token.value)
  }
  return found
}

/** The tokens with the Encrypted Content's value replaced (OB: padded to even length). */
function withEncryptedContent (tokens: readonly Token[], der: Uint8Array): Token[] {
  const value = der.byteLength % 2 === 0 ? der : Buffer.concat([der, Uint8Array.of(0)])
  return tokens.map((token) => (token.type === 'element' && token.tag === ENCRYPTED_CONTENT ? { ...token, value } : token))
}

t.test('gdcmanon', { skip: GDCMANON_SKIP }, async (t) => {
  const dir = t.testdir()
  const r = await makeRecipient(dir, 'broker')
  const input = join(FIXTURES_DIR, 'pydicom', 'CT_small.dcm')
  const encrypted = join(dir, 'encrypted.dcm')
  gdcmanon(['-e', '--certificate', r.certificatePath, '-i', input, '-o', encrypted])
  const original = topLevel(readTokens(readFileSync(input)))
  const tokens = readTokens(readFileSync(encrypted))
  const item = encryptedItem(tokens)

  t.test('the Encrypted Attributes Sequence item', async (t) => {
    t.equal(Buffer.from(item.get(ENCRYPTED_CONTENT_TRANSFER_SYNTAX_UID) ?? []).toString('latin1'), '1.2.840.10008.1.2.1\0', 'Explicit VR Little Endian, NUL-padded')
    const der = item.get(ENCRYPTED_CONTENT)
    t.ok(der !== undefined && der.byteLength > 0, 'Encrypted Content (0400,0520)')
  })

  t.test('its Encrypted Content decrypts: the Modified Attributes Sequence with the originals', async (t) => {
    const der = item.get(ENCRYPTED_CONTENT) ?? new Uint8Array(0)
    const content = decryptEnveloped(der, r.key)
    t.ok(Buffer.compare(decryptEnveloped(der, r.keyOnly), content) === 0, 'with the key alone too')
    // A raw dataset in the transfer syntax of (0400,0510): no preamble, no file meta.
    const inner = readTokens(content, { datasetTransferSyntax: EXPLICIT_VR_LITTLE_ENDIAN })
    t.match(inner[1], { type: 'sequence-start', tag: MODIFIED_ATTRIBUTES_SEQUENCE }, 'one element: Modified Attributes Sequence')
    t.match(inner[2], { type: 'item-start' })
    t.match(inner[inner.length - 1], { type: 'sequence-end' })
    t.equal(inner.filter((tk) => tk.type === 'sequence-start' && tk.tag === MODIFIED_ATTRIBUTES_SEQUENCE).length, 1)
    t.equal(inner.filter((tk) => tk.type === 'item-start').length, 1 + 2, 'its single item (and the two of Other Patient IDs Sequence)')
    const originals = new Map<number, Uint8Array>()
    let depth = 0
    for (const tk of inner) {
      if (tk.type === 'sequence-start') depth++
      else if (tk.type === 'sequence-end') depth--
      else if (tk.type === 'element' && depth === 1) originals.set(tk.tag, tk.value)
    }
    for (const tag of [SOP_INSTANCE_UID, PATIENT_NAME, PATIENT_ID]) {
      t.same(Buffer.from(originals.get(tag) ?? []), Buffer.from(original.get(tag) ?? [1]), `(${tag.toString(16).padStart(8, '0')}) is the original value`)
    }
    t.ok(inner.some((tk) => tk.type === 'sequence-start' && tk.tag === OTHER_PATIENT_IDS_SEQUENCE), 'a sequence holding a protected attribute is kept whole')
    const deidentified = topLevel(tokens)
    t.not(Buffer.from(deidentified.get(SOP_INSTANCE_UID) ?? []).toString('latin1'), Buffer.from(original.get(SOP_INSTANCE_UID) ?? []).toString('latin1'), 'while the file has a new SOP Instance UID')
  })

  t.test('gdcmanon -d re-identifies from what dicomgate encrypts', async (t) => {
    const content = decryptEnveloped(item.get(ENCRYPTED_CONTENT) ?? new Uint8Array(0), r.key)
    const reference = join(dir, 'reference.dcm')
    gdcmanon(['-d', '--key', r.keyPath, '-i', encrypted, '-o', reference])
    for (const cipher of WRITABLE_CIPHERS) {
      const ours = join(dir, `ours-${cipher}.dcm`)
      writeFileSync(ours, writeTokens(withEncryptedContent(tokens, encryptEnveloped(content, [r.certificate], { cipher }))))
      const back = join(dir, `back-${cipher}.dcm`)
      gdcmanon(['-d', '--key', r.keyPath, '-i', ours, '-o', back])
      t.ok(Buffer.compare(readFileSync(back), readFileSync(reference)) === 0, `${cipher}: the same file as from gdcmanon's own encryption`)
      t.same(Buffer.from(topLevel(readTokens(readFileSync(back))).get(PATIENT_NAME) ?? []), Buffer.from(original.get(PATIENT_NAME) ?? [1]), `${cipher}: Patient's Name is back`)
    }
  })
})
