/** The package entry exports the codec, and its one-shot forms work through it. */
import { Buffer } from 'node:buffer'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import * as dicomgate from '../src/index.js'
import { FIXTURES_DIR } from './helpers/corpus.js'

t.test('the public entry', async (t) => {
  for (const name of ['createDicomTransform', 'createReader', 'createWriter', 'readTokens', 'writeTokens', 'DicomParser', 'DicomWriter', 'toDicomJson', 'compileCharset', 'lookupTag', 'DicomgateError'] as const) {
    t.type(dicomgate[name], 'function', `exports ${name}`)
  }
  const bytes = readFileSync(join(FIXTURES_DIR, 'pydicom/CT_small.dcm'))
  t.ok(dicomgate.writeTokens(dicomgate.readTokens(bytes)).equals(bytes), 'round trip through the entry')
  const json = dicomgate.toDicomJson(dicomgate.readTokens(bytes))
  t.same(json['00100010']?.Value, [{ Alphabetic: 'CompressedSamples^CT1' }], 'Patient Name through the JSON model')
})

t.test('the entry exports de-identification, and it works through it', async (t) => {
  for (const name of ['createDeidTransform', 'deidentifyBuffer', 'deidentifyJson', 'loadProfile', 'listProfiles', 'deriveKeys', 'loadOrCreateSecret', 'ruleFor'] as const) {
    t.type(dicomgate[name], 'function', `exports ${name}`)
  }
  const bytes = readFileSync(join(FIXTURES_DIR, 'pydicom/CT_small.dcm'))
  const options = { profile: dicomgate.loadProfile('basic'), keys: dicomgate.deriveKeys(new Uint8Array(32).fill(1)) }
  const out = Buffer.concat(dicomgate.deidentifyBuffer(bytes, options))
  const json = dicomgate.toDicomJson(dicomgate.readTokens(out))
  t.same(json['00100010'], { vr: 'PN' }, 'Patient Name emptied (Z)')
  t.same(json['00120062']?.Value, ['YES'], 'Patient Identity Removed')
  const fromJson = dicomgate.deidentifyJson(dicomgate.toDicomJson(dicomgate.readTokens(bytes)), options)
  t.same(fromJson['0020000D'], json['0020000D'], 'the JSON form maps the Study Instance UID as the Part 10 form does')
})

t.test('the entry exports encryption, re-identification and the store, and they work through it', async (t) => {
  for (const name of ['encryptEnveloped', 'decryptEnveloped', 'createRecipient', 'certificateFromPem', 'privateKeyFromPem', 'reidentifyBuffer', 'createReidentifyTransform', 'createDeidChunkTransform', 'openStore', 'AuditLog'] as const) {
    t.type(dicomgate[name], 'function', `exports ${name}`)
  }
  const bytes = readFileSync(join(FIXTURES_DIR, 'pydicom/CT_small.dcm'))
  const recipient = await dicomgate.createRecipient({ modulusBits: 2048 })
  const key = dicomgate.privateKeyFromPem(recipient.privateKeyPem)
  const options = {
    profile: dicomgate.loadProfile('basic'),
    keys: dicomgate.deriveKeys(new Uint8Array(32).fill(1)),
    encryption: { encrypt: (content: Uint8Array) => dicomgate.encryptEnveloped(content, [recipient.certificate]) }
  }
  const out = Buffer.concat(dicomgate.deidentifyBuffer(bytes, options))
  const back = Buffer.concat(dicomgate.reidentifyBuffer(out, { decrypt: (der) => dicomgate.decryptEnveloped(der, key) }))
  t.same(dicomgate.toDicomJson(dicomgate.readTokens(back))['00100010']?.Value, [{ Alphabetic: 'CompressedSamples^CT1' }], 'the Patient Name comes back')
})
