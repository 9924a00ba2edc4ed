/**
 * Clean Structured Content (PS3.15 §E.3.4, src/deid/content-items.ts): content items are
 * decided by concept name and value type from Table E.3.4-1. X removes the whole content
 * item with its children; other actions apply to the value; an item whose concept is not in
 * the table keeps its value, its free text cleaned of the patient's identifiers. Both forms.
 */
import { Buffer } from 'node:buffer'
import { join } from 'node:path'
import t from 'tap'
import { deidentifyBuffer, deidentifyJson } from '../../src/deid/index.js'
import { profileFromSource, SHIPPED_PROFILES_DIR } from '../../src/deid/profile/load.js'
import { toDicomJson, type DicomJsonDataset } from '../../src/dicom/json.js'
import { readTokens } from '../../src/dicom/stream.js'
import { deriveKeys } from '../../src/pseudonym/keys.js'
import { part10, sequence, text, type DatasetNode } from '../helpers/dataset-builder.js'

const keys = deriveKeys(Buffer.alloc(32, 9))
const profile = profileFromSource({ name: 'structured', extends: 'basic', options: ['cleanStructuredContent'] }, join(SHIPPED_PROFILES_DIR, 'structured-test.json'))

/** A concept Table E.3.4-1 removes (X) under basic, and one it keeps the value of (D). */
const removed = [...profile.structuredContent].find(([, rule]) => rule.operation === 'remove')
const dummied = [...profile.structuredContent].find(([key, rule]) => rule.operation === 'dummy' && key.endsWith(':TEXT'))

function item (key: string, textValue: string, children: ReadonlyArray<readonly DatasetNode[]> = []): DatasetNode[] {
  const [scheme, value, valueType] = key.split(':') as [string, string, string]
  const nodes: DatasetNode[] = [
    text(0x0040a010, 'CS', 'CONTAINS'),
    text(0x0040a040, 'CS', valueType),
    sequence(0x0040a043, [text(0x00080100, 'SH', value), text(0x00080102, 'SH', scheme), text(0x00080104, 'LO', 'concept')]),
    text(0x0040a160, 'UT', textValue)
  ]
  if (children.length > 0) nodes.push(sequence(0x0040a730, ...children))
  return nodes
}

t.test('content items by Table E.3.4-1, the same in both forms', async (t) => {
  if (removed === undefined || dummied === undefined) throw new Error('Table E.3.4-1 has no X and no D TEXT concept under basic')
  const input = part10({ sopClassUID: '1.2.840.10008.5.1.4.1.1.88.33', sopInstanceUID: '1.2.3.4' }, [
    text(0x00080016, 'UI', '1.2.840.10008.5.1.4.1.1.88.33'),
    text(0x00080018, 'UI', '1.2.3.4'),
    text(0x00100010, 'PN', 'DOE^JANE'),
    text(0x0040a040, 'CS', 'CONTAINER'),
    sequence(0x0040a730,
      item(removed[0], 'REMOVED-TEXT', [item('99TEST:1:TEXT', 'CHILD-OF-REMOVED')]),
      item(dummied[0], 'DUMMIED-TEXT'),
      item('99TEST:2:TEXT', 'Findings for Jane Doe: no change'))
  ])
  const out = Buffer.concat(deidentifyBuffer(input, { profile, keys }))
  const text10 = out.toString('latin1')
  t.notMatch(text10, /REMOVED-TEXT|CHILD-OF-REMOVED/, 'an X content item goes with its children')
  t.notMatch(text10, /DUMMIED-TEXT/, 'a D content item gets a dummy value')
  t.match(text10, /Findings for \*+: no change/, 'an unlisted concept keeps its text, cleaned of the patient name')
  const fromJson = deidentifyJson(toDicomJson(readTokens(input)), { profile, keys })
  const fromPart10 = toDicomJson(readTokens(out))
  const content = (d: DicomJsonDataset): unknown => d['0040A730']
  t.same(content(fromJson), content(fromPart10), 'the JSON form decides every content item alike')
  t.equal((content(fromPart10) as { Value: unknown[] }).Value.length, 2, 'two of three items left')
})
