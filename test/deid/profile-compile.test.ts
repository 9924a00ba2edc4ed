/**
 * Compiling profiles: Table E.1-1 under options (K beats C, C resolved by its column),
 * patterns, private rules and creators, rule precedence within a profile and across
 * `extends`, and `ruleFor`, the engine's lookup. docs/profiles.md states the same rules.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { compileProfile, DEFAULT_DATE_SHIFT } from '../../src/deid/profile/compile.js'
import { loadProfile, profileFromSource } from '../../src/deid/profile/load.js'
import { ruleFor } from '../../src/deid/profile/lookup.js'
import { privateKey, structuredKey, type CompiledProfile, type ProfileSource } from '../../src/deid/profile/types.js'
import type { OptionName } from '../../src/deid/options.js'

function withOptions (...options: OptionName[]): CompiledProfile {
  return compileProfile({ name: 'test', options }, 'test.json')
}

/** The rule the engine would apply to a public tag, with the dictionary's VR. */
function op (profile: CompiledProfile, tag: number, vr: Parameters<typeof ruleFor>[2] = 'LO'): string {
  return ruleFor(profile, tag, vr).operation
}

t.test('Basic Profile column without options', async (t) => {
  const p = withOptions()
  t.match(p.byTag.get(0x00100010), { operation: 'empty', source: { kind: 'table', row: '(0010,0010)', column: 'basicProfile', code: 'Z' } })
  t.equal(op(p, 0x00100020), 'empty-or-dummy', 'Patient ID: Z/D kept as a compound for the engine')
  t.equal(op(p, 0x00080018, 'UI'), 'uid', 'SOP Instance UID: U')
  t.equal(op(p, 0x00081140, 'SQ'), 'remove-empty-or-uids', 'Referenced Image Sequence: X/Z/U*')
  t.equal(op(p, 0x00080080), 'remove-empty-or-dummy', 'Institution Name: X/Z/D')
  t.equal(op(p, 0x00280010, 'US'), 'keep', 'Rows: in no row, kept (basic mode)')
  t.match(p.unlistedDefault, { operation: 'keep', source: { kind: 'default' } })
  t.match(p.privateDefault, { operation: 'remove', source: { kind: 'table', row: 'private', code: 'X' } })
  t.equal(p.privateRules.size, 0, 'no safe private attributes without the option')
  t.same(p.methodCodes.map((c) => c.codeValue), ['113100'])
  t.equal(p.methodDescription, 'dicomgate test (PS3.15 E.1-1 basic)')
  t.same(p.dateShift, DEFAULT_DATE_SHIFT)
})

t.test('K beats C among the enabled options, except a date under Modified Dates', async (t) => {
  // Date of Last Calibration (0018,1200): basic X, rtnDevIdOpt K, rtnLongModifDatesOpt C.
  t.match(withOptions('retainLongitudinalModifiedDates').byTag.get(0x00181200), { operation: 'shift-date', source: { column: 'rtnLongModifDatesOpt', code: 'C' } })
  t.match(withOptions('retainDeviceIdentity').byTag.get(0x00181200), { operation: 'keep', source: { column: 'rtnDevIdOpt', code: 'K' } })
  // A true calibration date beside shifted study dates would undo the shift (E.3.6).
  t.match(withOptions('retainLongitudinalModifiedDates', 'retainDeviceIdentity').byTag.get(0x00181200), { operation: 'shift-date', source: { column: 'rtnLongModifDatesOpt', code: 'C' } }, 'both: the date is shifted')
  t.match(withOptions('retainDeviceIdentity', 'retainLongitudinalModifiedDates').byTag.get(0x00181200), { operation: 'shift-date' }, 'whatever the order')
  // Study Date: full dates K or modified dates C, exclusive options.
  t.match(withOptions('retainLongitudinalFullDates').byTag.get(0x00080020), { operation: 'keep', source: { column: 'rtnLongFullDatesOpt' } })
  // Allergies: rtnPatCharsOpt C and cleanDescOpt C: both clean.
  t.match(withOptions('retainPatientCharacteristics', 'cleanDescriptors').byTag.get(0x00102110), { operation: 'clean-text', source: { code: 'C' } })
  t.match(withOptions('retainUIDs').byTag.get(0x00080018), { operation: 'keep', source: { column: 'rtnUIDsOpt' } })
  t.match(withOptions('retainInstitutionIdentity').byTag.get(0x00080080), { operation: 'keep', source: { column: 'rtnInstIdOpt' } })
})

t.test('C is resolved by the column it came from', async (t) => {
  const dates = withOptions('retainLongitudinalModifiedDates')
  t.match(dates.byTag.get(0x00080020), { operation: 'shift-date', source: { column: 'rtnLongModifDatesOpt' } }, 'Study Date (DA)')
  t.match(dates.byTag.get(0x00080030), { operation: 'shift-date' }, 'Study Time (TM): the engine keeps times')
  t.match(dates.byTag.get(0x0008002a), { operation: 'shift-date' }, 'Acquisition DateTime (DT)')
  t.match(dates.byTag.get(0x00080201), { operation: 'remove', source: { column: 'basicProfile', code: 'X' }, note: /rtnLongModifDatesOpt C does not apply to SH/ }, 'Timezone Offset (SH): no date to shift, Basic Profile action')
  t.match(dates.byTag.get(0x04000310), { operation: 'remove', note: /OB/ }, 'Certified Timestamp (OB)')

  const desc = withOptions('cleanDescriptors')
  t.match(desc.byTag.get(0x00081030), { operation: 'clean-text', source: { column: 'cleanDescOpt' } }, 'Study Description')
  t.match(desc.byTag.get(0x00081084), { operation: 'keep', source: { code: 'C' } }, 'Admitting Diagnoses Code Sequence: a sequence is kept and its items cleaned')
  t.match(desc.byTag.get(0x0016002b), { operation: 'remove', source: { column: 'basicProfile' } }, 'Maker Note (OB) cannot be cleaned: removed')
  t.match(desc.byTag.get(0x04000565), { operation: 'dummy', source: { column: 'basicProfile', code: 'D' }, note: /cleanDescOpt C does not apply to CS/ }, 'Reason for the Attribute Modification (CS, defined terms): the Basic Profile action')

  const chars = withOptions('retainPatientCharacteristics')
  t.match(chars.byTag.get(0x00102110), { operation: 'clean-text', source: { column: 'rtnPatCharsOpt' } }, 'Allergies')
  t.match(chars.byTag.get(0x00101010), { operation: 'keep' }, "Patient's Age")

  const device = withOptions('retainDeviceIdentity')
  t.match(device.byTag.get(0x00080055), { operation: 'pseudonym', format: '{hash:16}', source: { column: 'rtnDevIdOpt', code: 'C' } }, 'Station AE Title: a pseudonym that fits AE')
  t.match(device.byTag.get(0x00181000), { operation: 'keep' }, 'Device Serial Number: K')

  t.match(withOptions('cleanStructuredContent').byTag.get(0x0040a730), { operation: 'clean-structured', source: { column: 'cleanStructContOpt' } }, 'Content Sequence')
  const graphics = withOptions('cleanGraphics')
  t.match(graphics.byTag.get(0x00700001), { operation: 'clean-graphics' }, 'Graphic Annotation Sequence')
  t.equal(op(graphics, 0x60023000, 'OW'), 'clean-graphics', 'Overlay Data in group 6002')
  t.equal(op(graphics, 0x50100010, 'US'), 'clean-graphics', 'curve data (50xx,xxxx)')

  const safe = withOptions('retainSafePrivate')
  t.equal(safe.privateRules.size, 479)
  t.match(safe.privateRules.get(privateKey('ELSCINT1', 0x00e1, 0x21)), { operation: 'keep', source: { kind: 'safe-private', creator: 'ELSCINT1' }, note: 'DLP' })
  t.match(safe.privateDefault, { operation: 'remove' }, 'other private attributes are still removed')
})

t.test('structured content (Table E.3.4-1) under the options', async (t) => {
  const accession = structuredKey('DCM', '121022', 'TEXT')
  t.match(withOptions().structuredContent.get(accession), { operation: 'remove', note: 'Accession Number' })
  const date = structuredKey('DCM', '111018', 'DATE')
  t.match(withOptions().structuredContent.get(date), { operation: 'remove' })
  t.match(withOptions('retainLongitudinalModifiedDates').structuredContent.get(date), { operation: 'shift-date', source: { column: 'rtnLongModifDatesOpt' } })
  t.match(withOptions('retainLongitudinalFullDates', 'cleanDescriptors').structuredContent.get(date), { operation: 'keep' })
  t.match(withOptions('cleanDescriptors').structuredContent.get(structuredKey('DCM', '111021', 'TEXT')), { operation: 'clean-text' })
  t.match(withOptions().structuredContent.get(structuredKey('DCM', '110180', 'UIDREF')), { operation: 'dummy' }, 'Study Instance UID item: D')
  t.match(withOptions('retainUIDs').structuredContent.get(structuredKey('DCM', '110180', 'UIDREF')), { operation: 'keep' })
})

t.test('tag patterns: x is one free hex digit', async (t) => {
  const p = withOptions()
  t.equal(op(p, 0x60003000, 'OW'), 'remove', '(6000,3000) Overlay Data')
  t.equal(op(p, 0x60023000, 'OW'), 'remove', '(6002,3000)')
  t.equal(op(p, 0x60023001, 'OW'), 'keep', '(6002,3001) is not (60xx,3000)')
  t.equal(op(p, 0x60024000, 'LT'), 'remove', '(60xx,4000) Overlay Comments')
  t.equal(op(p, 0x60010010, 'LO'), 'remove', '(6001,0010) is private, not an overlay: private rules apply')

  const user = compileProfile({ name: 'p', rules: [{ tagPattern: '(0018,9xxx)', action: 'X' }, { tagPattern: '(0018,90xx)', action: 'K' }] }, 'p.json')
  t.equal(op(user, 0x00189004), 'keep', 'the more specific pattern wins')
  t.equal(op(user, 0x00189104), 'remove')
  t.same(user.patterns.slice(0, 2).map((x) => x.mask), [0xffffff00, 0xfffff000], 'profile patterns first, most specific first')
  t.equal(user.patterns[2]?.rule.source.kind, 'table', 'then the table patterns')
})

t.test('precedence within a profile: tag > pattern > VR > table > default', async (t) => {
  const p = compileProfile({
    name: 'p',
    rules: [
      { vr: 'PN', action: 'D' },
      { tagPattern: '(0010,00xx)', action: 'X' },
      { keyword: 'PatientName', action: 'K' },
      { vr: 'LO', action: 'Z' },
      { vr: 'US', action: 'X' }
    ]
  }, 'p.json')
  t.equal(op(p, 0x00100010, 'PN'), 'keep', 'Patient Name: the keyword rule beats pattern and VR')
  t.equal(op(p, 0x00100020, 'LO'), 'remove', 'Patient ID: the pattern beats the LO rule and the table')
  t.equal(op(p, 0x00101001, 'PN'), 'dummy', 'Other Patient Names: the PN rule beats the table (X)')
  t.equal(op(p, 0x00081030, 'LO'), 'empty', 'Study Description: the LO rule beats the table')
  t.equal(op(p, 0x00280010, 'US'), 'remove', 'Rows: the US rule beats the default')
  t.equal(op(p, 0x00080018, 'UI'), 'uid', 'no rule: the table')
  t.match(ruleFor(p, 0x00100010, 'PN').source, { kind: 'rule', file: 'p.json', index: 2, code: 'K' })
  t.equal(op(p, 0x00100000, 'UL'), 'remove', 'group length: removed')
})

t.test('private attributes and their creators (PS3.5 §7.8.1)', async (t) => {
  const p = compileProfile({
    name: 'p',
    rules: [
      { privateCreator: 'ACME 1.0', group: '0019', element: '10', action: 'K' },
      { privateCreator: 'ACME 1.0', group: '0019', element: '11', action: 'Z' },
      { privateCreator: 'GONE', group: '0021', element: '10', action: 'X' }
    ]
  }, 'p.json')
  t.equal(ruleFor(p, 0x00191010, 'DS', 'ACME 1.0').operation, 'keep', 'block 10')
  t.equal(ruleFor(p, 0x00191210, 'DS', 'ACME 1.0').operation, 'keep', 'whichever block the creator reserved (12)')
  t.equal(ruleFor(p, 0x00191011, 'DS', 'ACME 1.0').operation, 'empty')
  t.equal(ruleFor(p, 0x00191010, 'DS', 'ACME 1.0  ').operation, 'keep', 'trailing spaces of the creator do not matter')
  t.equal(ruleFor(p, 0x00191012, 'DS', 'ACME 1.0').operation, 'remove', 'an element without a rule: privateDefault')
  t.equal(ruleFor(p, 0x00191010, 'DS', 'OTHER').operation, 'remove', 'another creator')
  t.equal(ruleFor(p, 0x00191010, 'DS').operation, 'remove', 'unknown creator')
  t.equal(ruleFor(p, 0x001b1010, 'DS', 'ACME 1.0').operation, 'remove', 'another group')

  t.equal(ruleFor(p, 0x00190010, 'LO', 'ACME 1.0').operation, 'keep', 'creator element of a kept block')
  t.equal(ruleFor(p, 0x00190012, 'LO', 'ACME 1.0 ').operation, 'keep')
  t.equal(ruleFor(p, 0x00190011, 'LO', 'OTHER').operation, 'remove', 'creator element of a block with nothing kept')
  t.equal(ruleFor(p, 0x00210010, 'LO', 'GONE').operation, 'remove', 'a block whose only rule removes')
  t.equal(ruleFor(p, 0x00190010, 'LO').operation, 'remove', 'creator element without its value')
  t.equal(ruleFor(p, 0x00190000, 'UL', 'ACME 1.0').operation, 'remove', 'private group length')
  t.equal(ruleFor(p, 0x00190005, 'LO', 'ACME 1.0').operation, 'remove', '(gggg,0001-000F) belong to no block')

  const safe = withOptions('retainSafePrivate')
  t.equal(ruleFor(safe, 0x00e11021, 'DS', 'ELSCINT1').operation, 'keep', 'E.3.10-1: ELSCINT1 (00E1,xx21) DLP')
  t.equal(ruleFor(safe, 0x00e10010, 'LO', 'ELSCINT1').operation, 'keep', 'and its creator element')
  t.equal(ruleFor(safe, 0x00e11022, 'DS', 'ELSCINT1').operation, 'remove')
})

/** A folder of profile files, for `extends` by path. */
function layered (t: Test, files: Record<string, ProfileSource>): string {
  return t.testdir(Object.fromEntries(Object.entries(files).map(([name, source]) => [name, JSON.stringify(source)])))
}

t.test('extends: options and reject lists add up, rules override by selector', async (t) => {
  const dir = layered(t, {
    'parent.json': {
      name: 'parent',
      options: ['cleanDescriptors'],
      rules: [
        { keyword: 'PatientName', action: 'X' },
        { keyword: 'PatientID', action: 'K' },
        { vr: 'DA', action: 'X' },
        { tagPattern: '(0018,9xxx)', action: 'X' },
        { privateCreator: 'ACME', group: '0019', element: '10', action: 'K' }
      ],
      reject: { sopClasses: ['EncapsulatedPDFStorage'], burnedInAnnotation: true },
      dateShift: { minDays: -100 }
    },
    'child.json': {
      name: 'child',
      extends: './parent.json',
      mode: 'strict',
      options: ['retainLongitudinalModifiedDates'],
      rules: [
        { keyword: 'PatientName', action: 'Z' },
        { vr: 'DA', action: 'Y' },
        { vr: 'LO', action: 'D' },
        { tagPattern: '(0018,9XXX)', action: 'K' },
        { privateCreator: 'ACME', group: '0019', element: '10', action: 'X' }
      ],
      reject: { sopClasses: ['1.2.3.4'], burnedInAnnotation: false },
      dateShift: { maxDays: -10 }
    }
  })
  const p = loadProfile(join(dir, 'child.json'))
  t.equal(p.name, 'child')
  t.same(p.files.map((f) => f.replace(/.*[/\\]/, '')), ['child.json', 'parent.json'], 'files, child first')
  t.equal(p.mode, 'strict')
  t.same([...p.options].sort(), ['cleanDescriptors', 'retainLongitudinalModifiedDates'], 'options add up')
  t.match(ruleFor(p, 0x00100010, 'PN'), { operation: 'empty', source: { file: /child\.json$/ } }, 'same keyword: the child wins')
  t.match(ruleFor(p, 0x00100020, 'LO'), { operation: 'keep', source: { file: /parent\.json$/ } }, "the parent's tag rule beats the child's VR rule: more specific wins")
  t.equal(op(p, 0x00080020, 'DA'), 'year', 'same VR: the child wins')
  t.equal(op(p, 0x00189004), 'keep', 'same pattern (any case): the child wins')
  t.equal(p.patterns.filter((x) => x.rule.source.kind === 'rule').length, 1)
  t.equal(ruleFor(p, 0x00191010, 'DS', 'ACME').operation, 'remove', 'same private element: the child wins')
  t.equal(ruleFor(p, 0x00190010, 'LO', 'ACME').operation, 'remove', 'so the block keeps nothing and loses its creator')
  t.same([...p.reject.sopClasses].sort(), ['1.2.3.4', '1.2.840.10008.5.1.4.1.1.104.1'], 'reject lists add up')
  t.equal(p.reject.burnedInAnnotation, false, 'burnedInAnnotation: the child says')
  t.same(p.dateShift, { minDays: -100, maxDays: -10 }, 'dateShift: field by field')
  t.equal(op(p, 0x00280010, 'US'), 'remove', 'strict: unlisted attributes are removed')
  t.same(p.methodCodes.map((c) => c.codeValue), ['113100', '113107', '113105'])
  t.equal(p.methodDescription, 'dicomgate child (PS3.15 E.1-1 basic + 2 options, strict)')
})

t.test('extends a shipped profile by name, and profileFromSource', async (t) => {
  const dir = t.testdir({})
  const p = profileFromSource({ name: 'mine', extends: 'research', rules: [{ keyword: 'PatientID', action: 'P', format: 'SUBJ-{hash:8}' }] }, join(dir, 'mine.json'))
  t.match(ruleFor(p, 0x00100020, 'LO'), { operation: 'pseudonym', format: 'SUBJ-{hash:8}' })
  t.match(ruleFor(p, 0x00100010, 'PN'), { operation: 'pseudonym', format: 'ANON^{hash:10}' }, "the parent's rules stay")
  t.ok(p.options.has('retainSafePrivate'))
  t.same(p.files.slice(1), ['profiles/research.json', 'profiles/basic.json'])

  const base = loadProfile('basic')
  const child = compileProfile({ name: 'c', extends: 'basic', options: ['retainUIDs'] }, 'c.json', base)
  t.equal(op(child, 0x00080018, 'UI'), 'keep')
  t.equal(op(child, 0x0040a160, 'UT'), 'dummy', "basic's Text Value rule")
})

t.test('passthrough changes nothing', async (t) => {
  const p = loadProfile('passthrough')
  for (const [tag, vr, creator] of [[0x00100010, 'PN'], [0x00100000, 'UL'], [0x00191010, 'DS', 'X'], [0x00190010, 'LO', 'X'], [0x60003000, 'OW']] as const) {
    t.equal(ruleFor(p, tag, vr, creator).operation, 'keep', `${tag.toString(16)}: keep`)
  }
  t.same(p.methodCodes, [])
  t.equal(p.reject.sopClasses.size, 0)
  t.equal(p.reject.burnedInAnnotation, false)
})

t.test('the compiled profile is frozen', async (t) => {
  const p = loadProfile('research')
  t.ok(Object.isFrozen(p))
  t.ok(Object.isFrozen(p.patterns) && Object.isFrozen(p.patterns[0]))
  t.ok(Object.isFrozen(p.methodCodes) && Object.isFrozen(p.reject) && Object.isFrozen(p.dateShift) && Object.isFrozen(p.files))
  const rule = ruleFor(p, 0x00100010, 'PN')
  t.ok(Object.isFrozen(rule) && Object.isFrozen(rule.source))
  t.ok(Object.isFrozen(p.byTag.get(0x00080018)))
  t.ok(Object.isFrozen(p.privateDefault) && Object.isFrozen(p.unlistedDefault))
})

t.test('De-identification Method fits LO (64 characters)', async (t) => {
  const long = 'a-very-long-profile-name-0123456'
  const p = compileProfile({ name: long, mode: 'strict', options: ['retainSafePrivate', 'retainUIDs', 'retainDeviceIdentity', 'retainInstitutionIdentity', 'retainPatientCharacteristics', 'retainLongitudinalModifiedDates', 'cleanDescriptors', 'cleanStructuredContent', 'cleanGraphics'] }, 'x.json')
  t.ok(p.methodDescription.length <= 64, p.methodDescription)
  t.match(p.methodDescription, /^dicomgate a-very-long.* \(PS3\.15 E\.1-1 basic \+ 9 options, strict\)$/)
  t.equal(p.methodCodes.length, 10)
})

t.test('a file changed on disk is read again', async (t) => {
  const dir = t.testdir({ 'p.json': JSON.stringify({ name: 'p', rules: [{ keyword: 'PatientName', action: 'K' }] }) })
  t.equal(op(loadProfile(join(dir, 'p.json')), 0x00100010, 'PN'), 'keep')
  writeFileSync(join(dir, 'p.json'), JSON.stringify({ name: 'p', rules: [{ keyword: 'PatientName', action: 'X' }] }))
  t.equal(op(loadProfile(join(dir, 'p.json')), 0x00100010, 'PN'), 'remove')
})

t.test('encryptedAttributes: recipients relative to their file, inherited, overridden whole', async (t) => {
  const dir = layered(t, {
    'parent.json': { name: 'parent', encryptedAttributes: { recipients: ['certs/broker.crt'] } },
    'child.json': { name: 'child', extends: './parent.json' },
    'other.json': { name: 'other', extends: './parent.json', encryptedAttributes: { recipients: ['/keys/a.crt', 'b.crt'], cipher: 'aes-128-cbc' } }
  })
  t.same(loadProfile(join(dir, 'child.json')).encryption, { recipients: [join(dir, 'certs', 'broker.crt')], cipher: 'aes-256-cbc' }, "the parent's, with its path resolved from the parent's folder")
  t.same(loadProfile(join(dir, 'other.json')).encryption, { recipients: ['/keys/a.crt', join(dir, 'b.crt')], cipher: 'aes-128-cbc' }, 'the child replaces it whole')
  t.equal(loadProfile('basic').encryption, null, 'shipped profiles encrypt nothing')
  t.throws(() => compileProfile({ name: 'x', encryptedAttributes: { recipients: ['rel.crt'] } }, 'x.json'), { code: 'DG_PROFILE_INVALID', message: /encryptedAttributes\.recipients\[0\] must be an absolute path/ })
})
