/**
 * Re-identification refuses what it cannot do, with a code (src/reid/stage.ts): an instance
 * without (0400,0500), a key that none of its items was encrypted for, content that decrypts
 * but is no Encrypted Attributes Data Set, and the bound on what it holds. The stream form
 * fails the same way, and no message carries a value of the instance.
 */
import { Buffer } from 'node:buffer'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import t, { type Test } from 'tap'
import { deidentifyBuffer } from '../../src/deid/index.js'
import { loadProfile } from '../../src/deid/profile/load.js'
import { isDicomgateError } from '../../src/errors.js'
import { deriveKeys } from '../../src/pseudonym/keys.js'
import { createReidentifyTransform, reidentifyBuffer, type ReidentifyOptions } from '../../src/reid/index.js'
import { makeRecipient, opensslSkip } from '../helpers/cms-tools.js'
import { FIXTURES_DIR } from '../helpers/corpus.js'

const keys = deriveKeys(Buffer.alloc(32, 7))
const basic = loadProfile('basic')
const input = readFileSync(join(FIXTURES_DIR, 'pydicom', 'CT_small.dcm'))

async function bothForms (t: Test, bytes: Uint8Array, options: ReidentifyOptions, code: string, what: string): Promise<void> {
  let message = ''
  try {
    reidentifyBuffer(bytes, options)
    t.fail(`${what}: no error`)
  } catch (err) {
    t.equal(isDicomgateError(err) ? err.code : err, code, `${what}: ${code}`)
    message = err instanceof Error ? err.message : ''
  }
  t.notMatch(message, /CompressedSamples|1CT1|5962/, `${what}: the message names no value of the instance`)
  await t.rejects(buffer(Readable.from([bytes]).pipe(createReidentifyTransform(options))), { code }, `${what}: the stream is destroyed with ${code}`)
}

t.test('no (0400,0500): DG_CMS_NOT_ENCRYPTED', async (t) => {
  const decrypt = (): Uint8Array => { throw new Error('never called') }
  await bothForms(t, input, { decrypt }, 'DG_CMS_NOT_ENCRYPTED', 'the original')
  await bothForms(t, Buffer.concat(deidentifyBuffer(input, { profile: basic, keys })), { decrypt }, 'DG_CMS_NOT_ENCRYPTED', 'de-identified without encryption')
})

t.test('a key no item was encrypted for: DG_CMS_NO_RECIPIENT', { skip: opensslSkip }, async (t) => {
  const recipient = makeRecipient(t, 'recipient')
  const stranger = makeRecipient(t, 'stranger')
  const bytes = Buffer.concat(deidentifyBuffer(input, { profile: basic, keys, encryption: { encrypt: recipient.encrypt } }))
  await bothForms(t, bytes, { decrypt: stranger.decrypt }, 'DG_CMS_NO_RECIPIENT', 'another key')
})

t.test('content that decrypts but is not an Encrypted Attributes Data Set: DG_CMS_INVALID', { skip: opensslSkip }, async (t) => {
  const recipient = makeRecipient(t)
  const notADataset = Buffer.concat(deidentifyBuffer(input, { profile: basic, keys, encryption: { encrypt: () => recipient.encrypt(Buffer.from('not a DICOM data set')) } }))
  await bothForms(t, notADataset, { decrypt: recipient.decrypt }, 'DG_CMS_INVALID', 'random content')
  const wrongSequence = Buffer.concat(deidentifyBuffer(input, {
    profile: basic,
    keys,
    // (0008,0060) CS "CT": a dataset, but not (0400,0550)
    encryption: { encrypt: () => recipient.encrypt(Buffer.from([0x08, 0x00, 0x60, 0x00, 0x43, 0x53, 0x02, 0x00, 0x43, 0x54])) }
  }))
  await bothForms(t, wrongSequence, { decrypt: recipient.decrypt }, 'DG_CMS_INVALID', 'a dataset without (0400,0550)')
  const thrower = (): Uint8Array => { throw new RangeError('a bug in the injected function') }
  const bytes = Buffer.concat(deidentifyBuffer(input, { profile: basic, keys, encryption: { encrypt: recipient.encrypt } }))
  await bothForms(t, bytes, { decrypt: thrower }, 'DG_CMS_INVALID', 'a decrypt that throws something else')
})

t.test('what is held before (0400,0500) is bounded', { skip: opensslSkip }, async (t) => {
  const recipient = makeRecipient(t)
  const bytes = Buffer.concat(deidentifyBuffer(input, { profile: basic, keys, encryption: { encrypt: recipient.encrypt } }))
  await bothForms(t, bytes, { decrypt: recipient.decrypt, maxHeldBytes: 1024 }, 'DG_REID_HELD_TOO_LARGE', 'maxHeldBytes 1024')
  t.ok(reidentifyBuffer(bytes, { decrypt: recipient.decrypt }).length > 0, 'the default holds it')
})
