/**
 * Every class of mistake in a profile stops start-up with a code (DG_PROFILE_INVALID,
 * DG_PROFILE_NOT_FOUND, DG_PROFILE_CYCLE) and a message naming the file, the JSON path and
 * what to do. Nothing is ignored silently.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { DicomgateError, type ErrorCode } from '../../src/errors.js'
import { compileProfile } from '../../src/deid/profile/compile.js'
import { loadProfile } from '../../src/deid/profile/load.js'

/** Loads `source` as the file x.json and returns the error it raises. */
function failure (t: Test, source: unknown, files: Record<string, unknown> = {}): DicomgateError {
  const dir = t.testdir(Object.fromEntries(Object.entries({ 'x.json': source, ...files }).map(([name, v]) => [name, typeof v === 'string' ? v : JSON.stringify(v)])))
  try {
    loadProfile(join(dir, 'x.json'))
  } catch (err) {
    if (err instanceof DicomgateError) return err
    throw err
  }
  throw new Error('expected an error')
}

function expectError (t: Test, name: string, source: unknown, code: ErrorCode, message: RegExp, files?: Record<string, unknown>): void {
  t.test(name, async (t) => {
    const err = failure(t, source, files)
    t.equal(err.code, code, 'code')
    t.match(err.message, message, 'message')
    t.notMatch(err.message, /\n/, 'the message is one line')
  })
}

const rule = (r: Record<string, unknown>): Record<string, unknown> => ({ name: 'x', rules: [{ keyword: 'PatientName', action: 'Z' }, r] })

t.test('schema mistakes name the file and the JSON path', async (t) => {
  expectError(t, 'unknown top-level field', { name: 'x', option: [] }, 'DG_PROFILE_INVALID', /x\.json: option is not a field here \(did you mean "options"\?\)/)
  expectError(t, 'unknown field of a rule', rule({ keyword: 'PatientID', action: 'Z', comment: 'x' }), 'DG_PROFILE_INVALID', /x\.json: rules\[1\]\.comment is not a field here \(allowed: keyword, tag, .*note\)/)
  expectError(t, 'no name', { description: 'x' }, 'DG_PROFILE_INVALID', /x\.json: needs "name"/)
  expectError(t, 'not an object', '[1, 2]', 'DG_PROFILE_INVALID', /x\.json: must be of type object/)
  expectError(t, 'two selectors', rule({ keyword: 'PatientID', vr: 'LO', action: 'Z' }), 'DG_PROFILE_INVALID', /x\.json: rules\[1\] must select attributes by exactly one of keyword, tag, tagPattern, privateCreator \(with group and element\) or vr/)
  expectError(t, 'no selector', rule({ action: 'Z' }), 'DG_PROFILE_INVALID', /rules\[1\] must select attributes by exactly one of/)
  expectError(t, 'privateCreator without group', rule({ privateCreator: 'ACME', element: '10', action: 'K' }), 'DG_PROFILE_INVALID', /rules\[1\] must select attributes by exactly one of/)
  expectError(t, 'unknown action', rule({ keyword: 'PatientID', action: 'R' }), 'DG_PROFILE_INVALID', /x\.json: rules\[1\]\.action "R" is not one of the allowed values/)
  expectError(t, 'action in lower case', rule({ keyword: 'PatientID', action: 'x/z' }), 'DG_PROFILE_INVALID', /rules\[1\]\.action "x\/z" is not one of the allowed values \(did you mean "X\/Z"\?\)/)
  expectError(t, 'unknown option', { name: 'x', options: ['retainUID'] }, 'DG_PROFILE_INVALID', /x\.json: options\[0\] "retainUID" is not one of the allowed values \(did you mean "retainUIDs"\?\)/)
  expectError(t, 'an option twice', { name: 'x', options: ['retainUIDs', 'retainUIDs'] }, 'DG_PROFILE_INVALID', /x\.json: options lists an item twice/)
  expectError(t, 'unknown mode', { name: 'x', mode: 'paranoid' }, 'DG_PROFILE_INVALID', /x\.json: mode "paranoid" is not one of the allowed values: basic, strict, passthrough/)
  expectError(t, 'unknown VR', rule({ vr: 'XX', action: 'Z' }), 'DG_PROFILE_INVALID', /rules\[1\]\.vr "XX" is not one of the allowed values/)
  expectError(t, 'bad tag', rule({ tag: '(0010,001G)', action: 'Z' }), 'DG_PROFILE_INVALID', /rules\[1\]\.tag "\(0010,001G\)" is not a tag: write it as "\(0010,0010\)"/)
  expectError(t, 'bad pattern', rule({ tagPattern: '(60xx,30000)', action: 'Z' }), 'DG_PROFILE_INVALID', /rules\[1\]\.tagPattern "\(60xx,30000\)" is not a tag pattern/)
  expectError(t, 'bad group', rule({ privateCreator: 'ACME', group: '19', element: '10', action: 'K' }), 'DG_PROFILE_INVALID', /rules\[1\]\.group "19" is not a group/)
  expectError(t, 'fractional shift', { name: 'x', dateShift: { minDays: -1.5 } }, 'DG_PROFILE_INVALID', /x\.json: dateShift\.minDays must be an integer/)
  expectError(t, 'shift out of range', { name: 'x', dateShift: { maxDays: 40000 } }, 'DG_PROFILE_INVALID', /dateShift\.maxDays "40000" must be <= 36500/)
  expectError(t, 'burnedInAnnotation not boolean', { name: 'x', reject: { burnedInAnnotation: 'yes' } }, 'DG_PROFILE_INVALID', /reject\.burnedInAnnotation must be of type boolean/)
  expectError(t, 'several problems', { name: 'x', foo: 1, bar: 2 }, 'DG_PROFILE_INVALID', /\(and 1 more problem\)/)
})

t.test('what only the compiler can check', async (t) => {
  expectError(t, 'unknown keyword', rule({ keyword: 'PatientNmae', action: 'Z' }), 'DG_PROFILE_INVALID', /x\.json: rules\[1\]\.keyword "PatientNmae" is not a DICOM keyword \(did you mean "PatientName"\?\)/)
  expectError(t, 'keyword in the wrong case', rule({ keyword: 'patientid', action: 'Z' }), 'DG_PROFILE_INVALID', /"patientid" is not a DICOM keyword \(did you mean "PatientID"\?\)/)
  expectError(t, 'a keyword far from any', rule({ keyword: 'Zzzzqqqq', action: 'Z' }), 'DG_PROFILE_INVALID', /"Zzzzqqqq" is not a DICOM keyword$/)
  expectError(t, 'item keyword', rule({ keyword: 'Item', action: 'X' }), 'DG_PROFILE_INVALID', /rules\[1\]\.keyword "Item" is not an attribute a rule can select/)
  expectError(t, 'private tag by tag', rule({ tag: '(0009,1010)', action: 'K' }), 'DG_PROFILE_INVALID', /rules\[1\]\.tag "\(0009,1010\)" is private: select it by privateCreator, group and element/)
  expectError(t, 'group length by tag', rule({ tag: '(0008,0000)', action: 'K' }), 'DG_PROFILE_INVALID', /rules\[1\]\.tag "\(0008,0000\)" is a group length/)
  expectError(t, 'pattern without x', rule({ tagPattern: '(0010,0010)', action: 'K' }), 'DG_PROFILE_INVALID', /rules\[1\]\.tagPattern "\(0010,0010\)" has no x: select one attribute with "tag"/)
  expectError(t, 'even private group', rule({ privateCreator: 'ACME', group: '0018', element: '10', action: 'K' }), 'DG_PROFILE_INVALID', /rules\[1\]\.group "0018" is not a private group/)
  expectError(t, 'unknown SOP class', { name: 'x', reject: { sopClasses: ['EncapsulatedPdfStorage'] } }, 'DG_PROFILE_INVALID', /x\.json: reject\.sopClasses\[0\] "EncapsulatedPdfStorage" is neither a SOP class keyword .* nor a UID \(did you mean "EncapsulatedPDFStorage"\?\)/)
  expectError(t, 'P on a date', rule({ keyword: 'PatientBirthDate', action: 'P' }), 'DG_PROFILE_INVALID', /rules\[1\]\.action "P" applies to text \(.*\), not to DA/)
  expectError(t, 'P without a known VR', rule({ tagPattern: '(0010,xxxx)', action: 'P' }), 'DG_PROFILE_INVALID', /rules\[1\]\.action "P" needs the attribute's VR/)
  expectError(t, 'Y on text', rule({ keyword: 'StudyDescription', action: 'Y' }), 'DG_PROFILE_INVALID', /rules\[1\]\.action "Y" applies to dates \(DA, DT\), not to LO/)
  expectError(t, 'Y on a private element', rule({ privateCreator: 'ACME', group: '0019', element: '10', action: 'Y' }), 'DG_PROFILE_INVALID', /"Y" needs the attribute's VR/)
  expectError(t, 'U on a name', rule({ vr: 'PN', action: 'U' }), 'DG_PROFILE_INVALID', /rules\[1\]\.action "U" applies to UIDs \(UI\), not to PN/)
  expectError(t, 'X/Z/U* on text', rule({ keyword: 'StudyID', action: 'X/Z/U*' }), 'DG_PROFILE_INVALID', /"X\/Z\/U\*" applies to sequences \(SQ\), not to SH/)
  expectError(t, 'format without P', rule({ keyword: 'PatientID', action: 'D', format: 'X{hash:4}' }), 'DG_PROFILE_INVALID', /rules\[1\]\.format applies to action P only/)
  expectError(t, 'format too long for SH', rule({ keyword: 'AccessionNumber', action: 'P', format: 'ACC-{hash:16}' }), 'DG_PROFILE_INVALID', /rules\[1\]\.format "ACC-\{hash:16\}": it can be 20 characters long, more than SH allows \(16\)/)
  expectError(t, 'format too long for LO', rule({ keyword: 'PatientID', action: 'P', format: 'TRIAL-42-SUBJECT-{hash:32}-{hash:16}' }), 'DG_PROFILE_INVALID', /can be 66 characters long, more than LO allows \(64\)/)
  expectError(t, 'format too long for a PN group', rule({ keyword: 'PatientName', action: 'P', format: 'ANONYMIZED-SUBJECT-NUMBER-{hash:32}-{hash:8}=x' }), 'DG_PROFILE_INVALID', /a component group can be 67 characters long, more than PN allows \(64\)/)
  expectError(t, 'format with a bad placeholder', rule({ keyword: 'PatientID', action: 'P', format: 'P-{name}' }), 'DG_PROFILE_INVALID', /rules\[1\]\.format "P-\{name\}": character 3 starts a field that is not \{hash:N\} with N from 1 to 32/)
  expectError(t, 'format with {hash:0}', rule({ keyword: 'PatientID', action: 'P', format: '{hash:0}' }), 'DG_PROFILE_INVALID', /rules\[1\]\.format "\{hash:0\}": .*N from 1 to 32/)
  expectError(t, 'format with {hash:33}', rule({ keyword: 'PatientID', action: 'P', format: '{hash:33}' }), 'DG_PROFILE_INVALID', /N from 1 to 32/)
  expectError(t, 'format without a field', rule({ keyword: 'PatientID', action: 'P', format: 'ANONYMOUS' }), 'DG_PROFILE_INVALID', /rules\[1\]\.format "ANONYMOUS": has no \{hash:N\} field/)
  expectError(t, 'format with a backslash', rule({ keyword: 'PatientID', action: 'P', format: 'A\\{hash:4}' }), 'DG_PROFILE_INVALID', /rules\[1\]\.format "A\\\{hash:4\}": character 2 is not allowed/)
  expectError(t, 'both longitudinal date options', { name: 'x', options: ['retainLongitudinalFullDates', 'retainLongitudinalModifiedDates'] }, 'DG_PROFILE_INVALID', /x\.json: options has both retainLongitudinalFullDates and retainLongitudinalModifiedDates/)
  expectError(t, 'both date options across extends', { name: 'x', extends: 'research', options: ['retainLongitudinalFullDates'] }, 'DG_PROFILE_INVALID', /x\.json: options has both/)
  expectError(t, 'minDays above maxDays', { name: 'x', dateShift: { minDays: 10, maxDays: 5 } }, 'DG_PROFILE_INVALID', /x\.json: dateShift minDays 10 is greater than maxDays 5/)
  expectError(t, 'minDays above the inherited maxDays', { name: 'x', extends: 'basic', dateShift: { minDays: 1 } }, 'DG_PROFILE_INVALID', /dateShift minDays 1 is greater than maxDays -1/)
  expectError(t, 'passthrough with rules', { name: 'x', mode: 'passthrough', rules: [{ keyword: 'PatientName', action: 'Z' }] }, 'DG_PROFILE_INVALID', /x\.json: mode passthrough changes nothing: remove options, rules, reject, dateShift and encryptedAttributes/)
  expectError(t, 'extending passthrough', { name: 'x', extends: 'passthrough' }, 'DG_PROFILE_INVALID', /x\.json: extends names a passthrough profile \(profiles\/passthrough\.json\), which has nothing to build on/)
  expectError(t, 'passthrough extending', { name: 'x', mode: 'passthrough', extends: 'basic' }, 'DG_PROFILE_INVALID', /x\.json: extends is not allowed in a passthrough profile/)
  expectError(t, 'a huge value is not echoed', rule({ keyword: `${'A'.repeat(100)}`, action: 'Z' }), 'DG_PROFILE_INVALID', /rules\[1\]\.keyword "A{60}…" /)
})

t.test('files that cannot be found, read or parsed', async (t) => {
  t.throws(() => loadProfile('no-such-profile'), { code: 'DG_PROFILE_NOT_FOUND', message: /no profile named "no-such-profile" \(shipped: basic, passthrough, research, safe-harbor, strict\)/ })
  t.throws(() => loadProfile('./no-such-file.json'), { code: 'DG_PROFILE_NOT_FOUND', message: /no-such-file\.json: cannot read the profile \(ENOENT\)/ })
  const dir = t.testdir({ sub: {} })
  t.throws(() => loadProfile(join(dir, 'sub')), { code: 'DG_PROFILE_NOT_FOUND', message: /EISDIR/ }, 'a folder')
  expectError(t, 'a missing parent', { name: 'x', extends: 'basci' }, 'DG_PROFILE_NOT_FOUND', /x\.json: extends "basci": no profile named "basci"/)
  expectError(t, 'a missing parent file', { name: 'x', extends: './gone.json' }, 'DG_PROFILE_NOT_FOUND', /x\.json: extends "\.\/gone\.json": .*gone\.json: cannot read the profile \(ENOENT\)/)
  expectError(t, 'not JSON', '{ "name": "x", }', 'DG_PROFILE_INVALID', /x\.json: is not valid JSON \(/)
  t.test('a file too large to be a profile', async (t) => {
    const big = t.testdir({})
    writeFileSync(join(big, 'x.json'), `{"name": "x", "description": "${'a'.repeat(1024 * 1024)}"}`)
    t.throws(() => loadProfile(join(big, 'x.json')), { code: 'DG_PROFILE_INVALID', message: /x\.json: is larger than 1048576 bytes/ })
  })
})

t.test('extends cycles: DG_PROFILE_CYCLE', async (t) => {
  expectError(t, 'a profile extending itself', { name: 'x', extends: './x.json' }, 'DG_PROFILE_CYCLE', /profiles extend each other in a cycle: .*x\.json → .*x\.json/)
  expectError(t, 'two profiles extending each other', { name: 'x', extends: './y.json' }, 'DG_PROFILE_CYCLE', /cycle: .*x\.json → .*y\.json → .*x\.json/, { 'y.json': { name: 'y', extends: './x.json' } })
})

t.test('compileProfile needs the parent of a profile that extends one', async (t) => {
  t.throws(() => compileProfile({ name: 'x', extends: 'basic' }, 'x.json'), { code: 'DG_PROFILE_INVALID', message: /x\.json: extends names a parent profile: load this profile with loadProfile\(\)/ })
})

t.test('encryptedAttributes mistakes', async (t) => {
  expectError(t, 'no recipients', { name: 'x', encryptedAttributes: { recipients: [] } }, 'DG_PROFILE_INVALID', /x\.json: encryptedAttributes\.recipients/)
  expectError(t, 'unknown cipher', { name: 'x', encryptedAttributes: { recipients: ['a.crt'], cipher: 'des' } }, 'DG_PROFILE_INVALID', /x\.json: encryptedAttributes\.cipher/)
  expectError(t, 'on a passthrough profile', { name: 'x', mode: 'passthrough', encryptedAttributes: { recipients: ['a.crt'] } }, 'DG_PROFILE_INVALID', /x\.json: mode passthrough changes nothing: remove .*encryptedAttributes/)
})
