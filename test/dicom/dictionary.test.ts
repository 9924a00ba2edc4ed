import { readFileSync } from 'node:fs'
import t from 'tap'
import { renderDictionaryModule, readReference, OUTPUT_PATH } from '../../scripts/generate-dictionary.js'
import { implicitVR, keywordOf, lookupTag, tagForKeyword } from '../../src/dicom/dictionary.js'
import { DICTIONARY_ROWS, REPEATING_GROUP_PATTERNS } from '../../src/dicom/dictionary.generated.js'
import { TAG } from '../../src/dicom/tags.js'
import { REFERENCE_DIR, referenceSkip } from '../helpers/corpus.js'

t.test('ordinary elements', async (t) => {
  const name = lookupTag(0x00100010)
  t.match(name, { tag: 0x00100010, mask: 0xffffffff, keyword: 'PatientName', name: "Patient's Name", vr: 'PN', vm: '1', retired: false })
  t.same(name?.vrs, ['PN'])
  t.equal(implicitVR(0x00100010), 'PN')
  t.equal(lookupTag(0x00080005)?.vm, '1-n')
  t.equal(lookupTag(0x00080001)?.retired, true, 'Length to End is retired')
  t.equal(lookupTag(0x00100011), undefined, 'a free standard tag is unknown')
  t.equal(implicitVR(0x00100011), 'UN')
  t.equal(Object.isFrozen(name), true)
})

t.test('multi-VR elements resolve as documented (PS3.5 §A.1)', async (t) => {
  const pixel = lookupTag(TAG.PixelData)
  t.same(pixel?.vrs, ['OB', 'OW'])
  t.equal(pixel?.vr, 'OW')
  t.equal(implicitVR(TAG.PixelData), 'OW', 'Pixel Data is OW in Implicit VR')
  t.equal(implicitVR(0x54001010), 'OW', 'Waveform Data')
  t.same(lookupTag(0x00280106)?.vrs, ['US', 'SS'])
  t.equal(implicitVR(0x00280106), 'US', 'US or SS → US')
  t.equal(implicitVR(0x00283006), 'OW', 'LUT Data, US or OW → OW')
  t.same(lookupTag(0x00281200)?.vrs, ['US', 'SS', 'OW'])
  t.equal(implicitVR(0x00281200), 'OW', 'US or SS or OW → OW')
})

t.test('repeating groups (PS3.5 §7.6)', async (t) => {
  const overlay = lookupTag(0x60023000)
  t.match(overlay, { keyword: 'OverlayData', tag: 0x60003000, vr: 'OW' })
  t.same(overlay?.vrs, ['OB', 'OW'])
  t.equal(implicitVR(0x60023000), 'OW')
  t.equal(implicitVR(0x601e3000), 'OW', 'last overlay group')
  t.equal(lookupTag(0x60203000), undefined, '6020 is outside 6000-601E')
  t.equal(implicitVR(0x60013000), 'UN', 'odd 6001 is private, not an overlay')
  t.equal(keywordOf(0x60040010), 'OverlayRows')

  t.match(lookupTag(0x50100010), { keyword: 'NumberOfPoints', vr: 'US', retired: true })
  t.match(lookupTag(0x50163000), { keyword: 'CurveData', vr: 'OW' })
  t.match(lookupTag(0x7f020010), { keyword: 'VariablePixelData', vr: 'OW' })
  t.equal(keywordOf(TAG.PixelData), 'PixelData', '(7FE0,0010) is not variable pixel data')
  t.equal(lookupTag(0x7fe00011), undefined)

  t.match(lookupTag(0x00280402), { keyword: 'NumberOfTransformSteps', mask: 0xffffffff }, 'the exact element wins over (0028,04x2)')
  t.match(lookupTag(0x00280412), { keyword: 'CoefficientCoding', vr: 'LO' })
  t.match(lookupTag(0x002804f2), { keyword: 'CoefficientCoding' })
  t.equal(keywordOf(0x00203105), 'SourceImageIDs')
  t.equal(keywordOf(0x10001230), 'EscapeTriplet')
  t.equal(keywordOf(0x10104321), 'ZonalMap')
})

t.test('private, group length and item tags', async (t) => {
  t.equal(implicitVR(0x00090010), 'LO', 'private creator (PS3.5 §7.8.1)')
  t.equal(implicitVR(0x001100ff), 'LO')
  t.equal(implicitVR(0x00091001), 'UN', 'unknown private element')
  t.equal(implicitVR(0x00090100), 'UN', 'private element beyond the creator block')
  t.equal(lookupTag(0x00090010), undefined)
  t.equal(implicitVR(0x00090000), 'UL', 'private group length')
  t.equal(implicitVR(0x00080000), 'UL', 'group length (PS3.5 §7.2)')
  t.equal(implicitVR(0x00020000), 'UL')
  t.equal(implicitVR(TAG.Item), 'UN')
  t.equal(implicitVR(TAG.SequenceDelimitationItem), 'UN')
  t.same(lookupTag(TAG.Item)?.vrs, [], 'Item has no VR')
})

t.test('keywords', async (t) => {
  t.equal(tagForKeyword('PatientName'), 0x00100010)
  t.equal(tagForKeyword('PixelData'), TAG.PixelData)
  t.equal(tagForKeyword('OverlayData'), 0x60003000)
  t.equal(tagForKeyword('CurveData'), 0x50003000)
  t.equal(tagForKeyword('RowsForNthOrderCoefficients'), 0x00280410, '(0028,0400) is Transform Label')
  t.equal(tagForKeyword('EscapeTriplet'), 0x10000010, '(1000,0000) is a group length')
  t.equal(tagForKeyword('ZonalMap'), 0x10100001)
  t.equal(tagForKeyword('NoSuchKeyword'), undefined)
  t.equal(tagForKeyword(''), undefined)
  t.equal(tagForKeyword('patientname'), undefined, 'keywords are case-sensitive')
  t.equal(keywordOf(0x00180061), undefined, 'a retired element PS3.6 lists without keyword')
  t.equal(lookupTag(0x00180061)?.vr, 'DS', '…still has its VR')

  // Every keyword maps to a tag whose keyword is that keyword, repeating groups included.
  const keywords = DICTIONARY_ROWS.split('\n').map((line) => line.split('|')[1] ?? '').filter((k) => k !== '')
  t.equal(keywords.length, new Set(keywords).size, 'keywords are unique')
  t.ok(keywords.length > 5000)
  const broken = keywords.filter((keyword) => {
    const tag = tagForKeyword(keyword)
    return tag === undefined || keywordOf(tag) !== keyword
  })
  t.same(broken, [], 'every keyword round-trips')
  t.equal(REPEATING_GROUP_PATTERNS.length, 88, 'PS3.6 has 88 repeating-group elements')
})

t.test('the generated file is current', { skip: referenceSkip }, async (t) => {
  const expected = renderDictionaryModule(readReference(REFERENCE_DIR))
  const actual = readFileSync(OUTPUT_PATH, 'utf8')
  t.ok(actual === expected, 'src/dicom/dictionary.generated.ts matches the reference: run `npm run generate`')
})

t.test('the generator rejects what it cannot represent', async (t) => {
  const row = { tag: '(0010,0010)', keyword: 'PatientName', name: "Patient's Name", valueRepresentation: 'PN', valueMultiplicity: '1', retired: 'N' }
  t.throws(() => renderDictionaryModule({}), /array/)
  t.throws(() => renderDictionaryModule([{ ...row, tag: '0010,0010' }]), /bad tag/)
  t.throws(() => renderDictionaryModule([{ ...row, valueRepresentation: 'PN or XX' }]), /has VR/)
  t.throws(() => renderDictionaryModule([{ ...row, name: 'a|b' }]), /cannot hold/)
  t.throws(() => renderDictionaryModule([row, row]), /twice/)
  t.throws(() => renderDictionaryModule([{ ...row, retired: 'maybe' }]), /retired/)
  t.match(renderDictionaryModule([row]), /`00100010\|PatientName\|Patient's Name\|PN\|1\|`/)
})
