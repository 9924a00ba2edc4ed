/**
 * Interoperability with GDCM's gdcmanon (PS3.15 E.1.1 / E.1.2 as GDCM implements them):
 *
 * - `gdcmanon -d --key` re-identifies what dicomgate de-identified with encryption: every
 *   original comes back. GDCM then removes Patient Identity Removed and De-identification
 *   Method and (0400,0500), the markers it knows, and leaves the two it does not write,
 *   De-identification Method Code Sequence (0012,0064) and Longitudinal Temporal
 *   Information Modified (0028,0303).
 * - dicomgate re-identifies what `gdcmanon -e --certificate` de-identified: the dataset
 *   before (7FE0,0000) is the original again, exactly.
 * - A file de-identified by gdcmanon and then by dicomgate holds both items in one
 *   (0400,0500); each tool's key undoes its own step, in reverse order.
 *
 * The files are those GDCM itself handles (gdcmanon refuses SOP classes it does not know,
 * and -d needs SOP Instance UID among the originals).
 */
import { Buffer } from 'node:buffer'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { deidentifyBuffer } from '../../src/deid/index.js'
import { loadProfile } from '../../src/deid/profile/load.js'
import { formatTag, isGroupLengthTag, makeTag, type Tag } from '../../src/dicom/tags.js'
import { deriveKeys } from '../../src/pseudonym/keys.js'
import { reidentifyBuffer } from '../../src/reid/index.js'
import { differingTags, fileAttributes } from '../helpers/attributes.js'
import { gdcmanon, gdcmanonSkip, makeRecipient } from '../helpers/cms-tools.js'
import { FIXTURES_DIR } from '../helpers/corpus.js'

const keys = deriveKeys(Buffer.alloc(32, 7))
const restorable = (tag: Tag): boolean => tag < 0x7fe00000 && !isGroupLengthTag(tag)
const PATIENT_NAME = makeTag(0x0010, 0x0010)
const PATIENT_ID = makeTag(0x0010, 0x0020)
const STUDY_INSTANCE_UID = makeTag(0x0020, 0x000d)
/** The markers dicomgate writes that gdcmanon -d does not know to remove. */
const LEFT_BY_GDCM = [makeTag(0x0012, 0x0064), makeTag(0x0028, 0x0303)].map(formatTag)

/** Fixtures GDCM handles: classic and enhanced images, RT, SR, Big Endian, deflated. */
const FILES = [
  'pydicom/CT_small.dcm',
  'pydicom/MR_small_implicit.dcm',
  'pydicom/MR_small_bigendian.dcm',
  'pydicom/rtstruct.dcm',
  'pydicom/rtdose.dcm',
  'pydicom-data/OBXXXX1A_rle_2frame.dcm',
  'dicomparser/CT0012.not_fragmented_bot_rle.dcm',
  'dicomparser/report_dfl',
  'dcmjs/sample-sr.dcm',
  'dcmjs/tumor_User1_Manual_Trial1.dcm'
]

function workdir (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'dicomgate-gdcm-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}

t.test('gdcmanon -d re-identifies dicomgate\'s output', { skip: gdcmanonSkip }, async (t) => {
  const recipient = makeRecipient(t)
  const dir = workdir(t)
  for (const [i, path] of FILES.entries()) {
    const input = readFileSync(join(FIXTURES_DIR, path))
    const deidentified = join(dir, `${i}.dcm`)
    const restored = join(dir, `${i}-re.dcm`)
    writeFileSync(deidentified, Buffer.concat(deidentifyBuffer(input, { profile: loadProfile('basic'), keys, encryption: { encrypt: recipient.encrypt } })))
    gdcmanon(['-d', '--key', recipient.key, '-i', deidentified, '-o', restored])
    const original = fileAttributes(input)
    const back = fileAttributes(readFileSync(restored))
    for (const tag of [PATIENT_NAME, PATIENT_ID, STUDY_INSTANCE_UID]) {
      if (original.text.has(tag)) t.equal(back.text.get(tag), original.text.get(tag), `${path}: ${formatTag(tag)} restored by GDCM`)
    }
    // GDCM removes (0012,0062) and (0012,0063) even when the original had them.
    const gdcmRemoves = (tag: Tag): boolean => tag === makeTag(0x0012, 0x0062) || tag === makeTag(0x0012, 0x0063)
    t.same(differingTags(original.dataset, back.dataset, (tag) => restorable(tag) && !gdcmRemoves(tag)), LEFT_BY_GDCM, `${path}: everything else before (7FE0,0000) restored by GDCM`)
  }
})

t.test('dicomgate re-identifies gdcmanon -e\'s output', { skip: gdcmanonSkip }, async (t) => {
  const recipient = makeRecipient(t)
  const dir = workdir(t)
  for (const [i, path] of [...FILES, 'pydicom/SC_rgb_jpeg_dcmtk.dcm', 'pydicom/charset/chrRuss.dcm'].entries()) {
    const input = join(FIXTURES_DIR, path)
    const deidentified = join(dir, `${i}.dcm`)
    gdcmanon(['-e', '--certificate', recipient.cert, '-i', input, '-o', deidentified])
    const bytes = readFileSync(deidentified)
    const original = fileAttributes(readFileSync(input))
    t.not(fileAttributes(bytes).text.get(PATIENT_NAME), original.text.get(PATIENT_NAME), `${path}: gdcmanon replaced Patient's Name`)
    const back = fileAttributes(Buffer.concat(reidentifyBuffer(bytes, { decrypt: recipient.decrypt })))
    t.same(differingTags(original.dataset, back.dataset, restorable), [], `${path}: the dataset before (7FE0,0000) is the original`)
    t.equal(back.meta.get(makeTag(0x0002, 0x0003)), original.text.get(makeTag(0x0008, 0x0018)), `${path}: Media Storage SOP Instance UID restored`)
  }
})

t.test('gdcmanon then dicomgate: one (0400,0500) with two items; each key undoes its own step', { skip: gdcmanonSkip }, async (t) => {
  const gdcmKey = makeRecipient(t, 'gdcm')
  const ourKey = makeRecipient(t, 'dicomgate')
  const dir = workdir(t)
  const input = join(FIXTURES_DIR, 'pydicom', 'CT_small.dcm')
  const byGdcm = join(dir, 'gdcm.dcm')
  gdcmanon(['-e', '--certificate', gdcmKey.cert, '-i', input, '-o', byGdcm])
  const both = Buffer.concat(deidentifyBuffer(readFileSync(byGdcm), { profile: loadProfile('research'), keys, encryption: { encrypt: ourKey.encrypt } }))
  t.equal(fileAttributes(both).dataset.has(makeTag(0x0400, 0x0500)), true)
  // Our item is the second: the first (GDCM's) is tried with our key and is not for it.
  const ourStepUndone = Buffer.concat(reidentifyBuffer(both, { decrypt: ourKey.decrypt }))
  t.same(differingTags(fileAttributes(readFileSync(byGdcm)).dataset, fileAttributes(ourStepUndone).dataset, restorable), [], 'our key gives back gdcmanon\'s output')
  const restored = join(dir, 'restored.dcm')
  const ours = join(dir, 'ours.dcm')
  writeFileSync(ours, ourStepUndone)
  gdcmanon(['-d', '--key', gdcmKey.key, '-i', ours, '-o', restored])
  t.same(differingTags(fileAttributes(readFileSync(input)).dataset, fileAttributes(readFileSync(restored)).dataset, restorable), [], 'then gdcmanon -d gives back the original')
})
