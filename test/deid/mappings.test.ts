/**
 * The engine reports every pseudonym it makes (`onMapping`, for the mapping store): keyed
 * UIDs and pseudonym texts, with the original, once per instance; the same set in the
 * Part 10 and the JSON forms; and every pseudonym in the output is among those reported,
 * so a store fed from it can answer for any UID or pseudonym a client sees.
 */
import { Buffer } from 'node:buffer'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { deidentifyBuffer, deidentifyJson, IMPLEMENTATION_CLASS_UID } from '../../src/deid/index.js'
import type { PseudonymMapping } from '../../src/deid/context.js'
import { loadProfile } from '../../src/deid/profile/load.js'
import { readTokens } from '../../src/dicom/stream.js'
import { makeTag } from '../../src/dicom/tags.js'
import { deriveKeys, keyedUid } from '../../src/pseudonym/keys.js'
import { FIXTURES_DIR } from '../helpers/corpus.js'
import { jsonOf } from '../helpers/deid-output.js'

const keys = deriveKeys(Buffer.alloc(32, 7))
const CT = readFileSync(join(FIXTURES_DIR, 'pydicom', 'CT_small.dcm'))
const STUDY_UID = makeTag(0x0020, 0x000d)
const PATIENT_ID = makeTag(0x0010, 0x0020)

function text (bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1').replace(/[\0 ]+$/, '')
}

/** Every UI value in the output, at any depth, and the top-level Patient ID. */
function uidsIn (bytes: Uint8Array): Set<string> {
  const uids = new Set<string>()
  for (const token of readTokens(bytes)) {
    if (token.type === 'element' && token.vr === 'UI') for (const v of text(token.value).split('\\')) if (v !== '') uids.add(v)
  }
  return uids
}

for (const name of ['basic', 'research'] as const) {
  t.test(`${name}: every pseudonym made is reported once, with its original`, async (t) => {
    const profile = loadProfile(name)
    const reported: PseudonymMapping[] = []
    const out = Buffer.concat(deidentifyBuffer(CT, { profile, keys, onMapping: (m) => { reported.push(m) } }))
    const pseudonyms = reported.map((m) => m.pseudonym)
    t.equal(new Set(pseudonyms).size, pseudonyms.length, 'no pseudonym reported twice')
    for (const m of reported) t.not(m.pseudonym, m.original, 'only values that changed')

    const study = readTokens(CT).find((tk) => tk.type === 'element' && tk.tag === STUDY_UID)
    const original = study?.type === 'element' ? text(study.value) : ''
    t.ok(reported.some((m) => m.tag === STUDY_UID && m.original === original && m.pseudonym === keyedUid(keys, original)), 'the Study Instance UID and its keyed UID')

    // Every replaced UID in the output can be looked up: standard UIDs (1.2.840.10008) and
    // kept ones are the only others.
    const known = new Set(pseudonyms)
    const inputUids = uidsIn(CT)
    for (const uid of uidsIn(out)) {
      if (uid.startsWith('1.2.840.10008.') || inputUids.has(uid) || uid === IMPLEMENTATION_CLASS_UID) continue
      t.ok(known.has(uid), `output UID ${uid.slice(0, 12)}… was reported`)
    }

    if (name === 'research') {
      const patient = reported.find((m) => m.tag === PATIENT_ID)
      t.ok(patient !== undefined, 'research pseudonymizes the Patient ID, and reports it')
    }

    const fromJson: PseudonymMapping[] = []
    deidentifyJson(jsonOf(CT), { profile, keys, onMapping: (m) => { fromJson.push(m) } })
    const key = (m: PseudonymMapping): string => `${m.tag}:${m.pseudonym}:${m.original}`
    t.same(new Set(fromJson.map(key)), new Set(reported.map(key)), 'the JSON form reports the same mappings')
  })
}

t.test('without a listener nothing changes in the output', async (t) => {
  const profile = loadProfile('research')
  const plain = Buffer.concat(deidentifyBuffer(CT, { profile, keys }))
  const listened = Buffer.concat(deidentifyBuffer(CT, { profile, keys, onMapping: () => {} }))
  t.ok(plain.equals(listened))
})

t.test('a listener that throws fails the instance (a mapping that cannot be kept is not passed on)', async (t) => {
  const profile = loadProfile('basic')
  t.throws(() => deidentifyBuffer(CT, { profile, keys, onMapping: () => { throw new Error('store down') } }), /store down/)
})
