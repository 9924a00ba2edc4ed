/** The package entry exports the codec, and its one-shot forms work through it. */
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
