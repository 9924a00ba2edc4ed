/**
 * De-identify with Encrypted Attributes, then re-identify (PS3.15 E.1.2): every fixture
 * under the basic and research profiles, encrypted and decrypted by dicomgate's CMS module,
 * and with OpenSSL's `cms` on either side as an independent check. What comes back
 * is the original: every top-level attribute before (7FE0,0000) equal in tag, VR and value
 * (sequences by content), none added (the markers and (0400,0500) are gone), and the file
 * meta's Media Storage SOP Instance UID is the original SOP Instance UID again. The three
 * forms of re-identification (whole buffer, stream in 7-byte chunks, chunk transform over
 * reused buffers) give identical bytes.
 */
import { Buffer } from 'node:buffer'
import { readFileSync } from 'node:fs'
import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import t from 'tap'
import { deidentifyBuffer, type DeidOptions } from '../../src/deid/index.js'
import { isMarkerTag } from '../../src/deid/markers.js'
import { loadProfile } from '../../src/deid/profile/load.js'
import { isGroupLengthTag, makeTag, type Tag } from '../../src/dicom/tags.js'
import { isDicomgateError } from '../../src/errors.js'
import { deriveKeys } from '../../src/pseudonym/keys.js'
import { createReidentifyChunkTransform, createReidentifyTransform, reidentifyBuffer } from '../../src/reid/index.js'
import { differingTags, fileAttributes } from '../helpers/attributes.js'
import { makeRecipient, opensslSkip } from '../helpers/cms-tools.js'
import { fixtureEntries } from '../helpers/corpus.js'
import { chunkTransformReusingBuffers } from '../helpers/tokens.js'

const keys = deriveKeys(Buffer.alloc(32, 7))
const SOP_INSTANCE_UID = makeTag(0x0008, 0x0018)
const MEDIA_STORAGE_SOP_INSTANCE_UID = makeTag(0x0002, 0x0003)
const PATIENT_NAME = makeTag(0x0010, 0x0010)
const ENCRYPTED_ATTRIBUTES_SEQUENCE = makeTag(0x0400, 0x0500)

/** What re-identification restores: the dataset before Pixel Data, group lengths aside (PS3.5 §7.2). */
const restorable = (tag: Tag): boolean => tag < 0x7fe00000 && !isGroupLengthTag(tag)

function errorCode (run: () => unknown): string | undefined {
  try {
    run()
    return undefined
  } catch (err) {
    return isDicomgateError(err) ? err.code : 'not a DicomgateError'
  }
}

/** Who encrypts and who decrypts: dicomgate's CMS module, and OpenSSL on either side. */
const CIPHERS = [['dicomgate', 'dicomgate'], ['dicomgate', 'openssl'], ['openssl', 'dicomgate']] as const

for (const profileName of ['basic', 'research']) {
  for (const [encryptor, decryptor] of CIPHERS) {
    t.test(`every fixture round-trips under ${profileName}, encrypted by ${encryptor}, decrypted by ${decryptor}`, { skip: opensslSkip }, async (t) => {
      const profile = loadProfile(profileName)
      const recipient = makeRecipient(t)
      const encrypt = encryptor === 'openssl' ? recipient.openssl.encrypt : recipient.encrypt
      const decrypt = decryptor === 'openssl' ? recipient.openssl.decrypt : recipient.decrypt
      const options: DeidOptions = { profile, keys, encryption: { encrypt } }
      let roundTrips = 0
      for (const entry of fixtureEntries()) {
        const input = readFileSync(entry.absolutePath)
        let deidentified: Buffer
        try {
          deidentified = Buffer.concat(deidentifyBuffer(input, options))
        } catch (err) {
          // Refused as it is without encryption (a rejected SOP class, a truncated file).
          const code = isDicomgateError(err) ? err.code : 'not a DicomgateError'
          t.equal(code, errorCode(() => deidentifyBuffer(input, { profile, keys })), `${entry.path}: refused with ${code}, as without encryption`)
          continue
        }
        const original = fileAttributes(input)
        const deid = fileAttributes(deidentified)
        t.ok(deid.dataset.has(ENCRYPTED_ATTRIBUTES_SEQUENCE), `${entry.path}: has (0400,0500)`)
        if (original.text.get(PATIENT_NAME) !== undefined && original.text.get(PATIENT_NAME) !== '') {
          t.not(deid.text.get(PATIENT_NAME), original.text.get(PATIENT_NAME), `${entry.path}: de-identified`)
        }
        const back = fileAttributes(Buffer.concat(reidentifyBuffer(deidentified, { decrypt })))
        t.same(differingTags(original.dataset, back.dataset, restorable), [], `${entry.path}: every attribute before (7FE0,0000) comes back, and nothing else`)
        t.notOk([...back.dataset.keys()].some((tag) => isMarkerTag(tag) && !original.dataset.has(tag)), `${entry.path}: markers gone`)
        const sopInstance = original.text.get(SOP_INSTANCE_UID) ?? ''
        if (sopInstance !== '') {
          t.equal(back.meta.get(MEDIA_STORAGE_SOP_INSTANCE_UID), sopInstance, `${entry.path}: Media Storage SOP Instance UID restored`)
        } else {
          // No SOP Instance UID in the dataset (a DICOMDIR, test files): the file meta is not
          // recorded (group 0002 has no place in a dataset), so its pseudonym stays.
          t.equal(back.meta.get(MEDIA_STORAGE_SOP_INSTANCE_UID), deid.meta.get(MEDIA_STORAGE_SOP_INSTANCE_UID), `${entry.path}: without a SOP Instance UID the meta's stays as de-identified`)
        }
        t.equal(back.transferSyntax, original.transferSyntax, `${entry.path}: transfer syntax kept`)
        roundTrips++
      }
      t.ok(roundTrips >= 25, `${roundTrips} fixtures round-trip (the others are refused by the profile)`)
    })
  }
}

t.test('whole, stream (7-byte chunks) and chunk forms of re-identification agree byte for byte', { skip: opensslSkip }, async (t) => {
  const recipient = makeRecipient(t)
  const options: DeidOptions = { profile: loadProfile('basic'), keys, encryption: { encrypt: recipient.encrypt } }
  for (const path of ['pydicom/CT_small.dcm', 'pydicom/MR_small_implicit.dcm', 'pydicom/MR_small_bigendian.dcm', 'dcmjs/sample-sr.dcm', 'pydicom-data/OBXXXX1A_rle_2frame.dcm', 'dicomparser/report_dfl']) {
    const entry = fixtureEntries().find((e) => e.path === path)
    if (entry === undefined) throw new Error(`no fixture ${path}`)
    const deidentified = Buffer.concat(deidentifyBuffer(readFileSync(entry.absolutePath), options))
    const whole = Buffer.concat(reidentifyBuffer(deidentified, { decrypt: recipient.decrypt }))
    const pieces: Uint8Array[] = []
    for (let i = 0; i < deidentified.length; i += 7) pieces.push(deidentified.subarray(i, i + 7))
    const streamed = await buffer(Readable.from(pieces).pipe(createReidentifyTransform({ decrypt: recipient.decrypt })))
    t.ok(whole.equals(streamed), `${path}: stream form`)
    const chunked = chunkTransformReusingBuffers(createReidentifyChunkTransform({ decrypt: recipient.decrypt }), deidentified, 7)
    if (chunked === null) t.ok(path.endsWith('_dfl'), `${path}: the chunk form declines only a deflated dataset`)
    else t.ok(whole.equals(chunked), `${path}: chunk form`)
  }
})
