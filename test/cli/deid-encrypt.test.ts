/**
 * `dicomgate deid --encrypt-to` and a profile's `encryptedAttributes`, in-process: every
 * output carries the Encrypted Attributes Sequence (0400,0500) for the recipients, and the
 * recipient's private key restores what the profile replaced; on one thread or two, and on
 * standard output. A certificate that cannot be read stops the run before any output.
 */
import { Buffer } from 'node:buffer'
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import t, { type Test } from 'tap'
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../../src/cli/main.js'
import { decryptEnveloped } from '../../src/cms/enveloped.js'
import { privateKeyFromPem } from '../../src/cms/keys.js'
import { createRecipient, type NewRecipient } from '../../src/cms/recipient.js'
import { readTokens } from '../../src/dicom/stream.js'
import { makeTag } from '../../src/dicom/tags.js'
import { reidentifyBuffer } from '../../src/reid/index.js'
import { FIXTURES_DIR } from '../helpers/corpus.js'
import { runCli, tempDir } from '../helpers/cli.js'

const CT = join(FIXTURES_DIR, 'pydicom', 'CT_small.dcm')
const MR = join(FIXTURES_DIR, 'pydicom', 'MR_small_implicit.dcm')
const ENCRYPTED_ATTRIBUTES = makeTag(0x0400, 0x0500)
const PATIENT_NAME = makeTag(0x0010, 0x0010)
const STUDY_UID = makeTag(0x0020, 0x000d)

const cli = runCli

// Two recipients, made once (RSA key generation takes a moment).
const recipients: NewRecipient[] = await Promise.all([createRecipient({ modulusBits: 2048 }), createRecipient({ modulusBits: 2048 })])

function workdir (t: Test): string {
  const dir = tempDir(t, 'dicomgate-encrypt-cli-')
  writeFileSync(join(dir, 'secret'), Buffer.alloc(32, 5), { mode: 0o600 })
  recipients.forEach((r, i) => { writeFileSync(join(dir, `r${i}.crt`), r.certificatePem) })
  mkdirSync(join(dir, 'in'))
  copyFileSync(CT, join(dir, 'in', 'ct.dcm'))
  copyFileSync(MR, join(dir, 'in', 'mr.dcm'))
  return dir
}

function value (bytes: Uint8Array, tag: number): string | undefined {
  const token = readTokens(bytes).find((tk) => tk.type === 'element' && tk.tag === tag)
  return token?.type === 'element' ? Buffer.from(token.value).toString('latin1').replace(/[\0 ]+$/, '') : undefined
}

function hasEncryptedAttributes (bytes: Uint8Array): boolean {
  return readTokens(bytes).some((tk) => tk.type === 'sequence-start' && tk.tag === ENCRYPTED_ATTRIBUTES)
}

/** Re-identifies with recipient `i`'s private key. */
function restore (bytes: Uint8Array, i: number): Buffer {
  const key = privateKeyFromPem((recipients[i] as NewRecipient).privateKeyPem)
  return Buffer.concat(reidentifyBuffer(bytes, { decrypt: (der) => decryptEnveloped(der, key) }))
}

function checkRestored (t: Test, output: Uint8Array, input: string): void {
  const original = readFileSync(input)
  t.ok(hasEncryptedAttributes(output), 'the output carries (0400,0500)')
  t.not(value(output, STUDY_UID), value(original, STUDY_UID), 'the output is de-identified')
  for (const i of [0, 1]) {
    const back = restore(output, i)
    t.equal(value(back, PATIENT_NAME), value(original, PATIENT_NAME), `recipient ${i + 1}'s key restores the Patient's Name`)
    t.equal(value(back, STUDY_UID), value(original, STUDY_UID), `and the Study Instance UID`)
  }
}

for (const threads of ['1', '2']) {
  t.test(`--encrypt-to, twice (${threads} thread(s)): both recipients can re-identify every output`, async (t) => {
    const dir = workdir(t)
    const run = await cli(['deid', join(dir, 'in'), '--out', join(dir, 'out'), '--secret-file', join(dir, 'secret'),
      '--encrypt-to', join(dir, 'r0.crt'), '--encrypt-to', join(dir, 'r1.crt'), '--threads', threads])
    t.equal(run.code, EXIT_OK, run.stderr)
    checkRestored(t, readFileSync(join(dir, 'out', 'ct.dcm')), CT)
    checkRestored(t, readFileSync(join(dir, 'out', 'mr.dcm')), MR)
  })
}

t.test("a profile's encryptedAttributes, with a recipient added by --encrypt-to, on standard output", async (t) => {
  const dir = workdir(t)
  writeFileSync(join(dir, 'p.json'), JSON.stringify({ name: 'enc', extends: 'research', encryptedAttributes: { recipients: ['r0.crt'], cipher: 'aes-128-cbc' } }))
  const run = await cli(['deid', '-', '--out', '-', '--secret-file', join(dir, 'secret'), '--profile', join(dir, 'p.json'), '--encrypt-to', join(dir, 'r1.crt')], Readable.from([readFileSync(CT)]))
  t.equal(run.code, EXIT_OK, run.stderr)
  checkRestored(t, run.stdout, CT)
})

t.test('a certificate that cannot be read stops the run before any output', async (t) => {
  const dir = workdir(t)
  writeFileSync(join(dir, 'bad.crt'), 'not a certificate')
  const run = await cli(['deid', join(dir, 'in'), '--out', join(dir, 'out'), '--secret-file', join(dir, 'secret'), '--encrypt-to', join(dir, 'bad.crt')])
  t.equal(run.code, EXIT_FAILURE)
  t.match(run.stderr, /DG_KEY_INVALID/)
  let written: string[] = []
  try { written = readdirSync(join(dir, 'out')) } catch { /* never made */ }
  t.same(written, [])
})

t.test('usage: a cipher without recipients, an unknown cipher', async (t) => {
  const dir = workdir(t)
  const base = ['deid', join(dir, 'in'), '--out', join(dir, 'out'), '--secret-file', join(dir, 'secret')]
  t.equal((await cli([...base, '--encrypt-cipher', 'aes-128-cbc'])).code, EXIT_USAGE)
  t.equal((await cli([...base, '--encrypt-to', join(dir, 'r0.crt'), '--encrypt-cipher', 'des'])).code, EXIT_USAGE)
})
