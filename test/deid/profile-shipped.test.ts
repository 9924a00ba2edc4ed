/**
 * The shipped profiles (profiles/*.json): each compiles, says what it is for, and does what
 * its description promises. The strict allow-list only adds attributes Table E.1-1 does not
 * list, so that a K rule never undoes the table.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { SHIPPED_PROFILES_DIR, listProfiles, loadProfile } from '../../src/deid/profile/load.js'
import { ruleFor } from '../../src/deid/profile/lookup.js'
import { PROFILE_SCHEMA_PATH } from '../../src/deid/profile/schema.js'
import { STANDARD_DIR, standardTables } from '../../src/deid/profile/standard.js'
import type { ProfileSource } from '../../src/deid/profile/types.js'
import { REPO_ROOT } from '../helpers/corpus.js'

const SHIPPED = ['basic', 'passthrough', 'research', 'safe-harbor', 'strict']

function source (name: string): ProfileSource {
  return JSON.parse(readFileSync(join(SHIPPED_PROFILES_DIR, `${name}.json`), 'utf8')) as ProfileSource
}

t.test('data folders resolve from the module, as they will from dist/', async (t) => {
  t.equal(SHIPPED_PROFILES_DIR, join(REPO_ROOT, 'profiles/'))
  t.equal(STANDARD_DIR, join(REPO_ROOT, 'profiles', 'standard/'))
  t.ok(existsSync(PROFILE_SCHEMA_PATH))
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { files: string[] }
  t.ok(pkg.files.includes('profiles'), 'package.json "files" ships profiles/')
})

t.test('every shipped profile compiles and is listed', async (t) => {
  const files = readdirSync(SHIPPED_PROFILES_DIR).filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json')).map((f) => f.slice(0, -5)).sort()
  t.same(files, SHIPPED)
  t.same(listProfiles().map((p) => p.name), SHIPPED)
  for (const summary of listProfiles()) t.match(summary.summary, /^[A-Z].{20,}\.$/, `${summary.name}: a one-sentence summary`)
  for (const name of SHIPPED) {
    const p = loadProfile(name)
    t.equal(p.name, name, `${name}: its name is its file name`)
    t.equal(source(name).$schema, './profile.schema.json', `${name}: names the schema for editors`)
    t.ok(p.methodDescription.length <= 64, `${name}: ${p.methodDescription}`)
  }
})

t.test('basic', async (t) => {
  const p = loadProfile('basic')
  t.equal(p.mode, 'basic')
  t.equal(p.options.size, 0)
  t.match(ruleFor(p, 0x0040a160, 'UT'), { operation: 'dummy', source: { kind: 'rule', file: 'profiles/basic.json' } }, 'Text Value: D')
  t.equal(ruleFor(p, 0x00081190, 'UR').operation, 'remove', 'Retrieve URL')
  t.equal(p.reject.burnedInAnnotation, true)
  const sop = standardTables().sopClasses
  for (const keyword of ['EncapsulatedPDFStorage', 'EncapsulatedCDAStorage', 'EncapsulatedSTLStorage', 'EncapsulatedOBJStorage', 'EncapsulatedMTLStorage', 'SecondaryCaptureImageStorage', 'MultiFrameTrueColorSecondaryCaptureImageStorage']) {
    t.ok(p.reject.sopClasses.has(sop.get(keyword)?.uid ?? '?'), `rejects ${keyword}`)
  }
  t.notOk(p.reject.sopClasses.has(sop.get('CTImageStorage')?.uid ?? '?'))
})

t.test('research', async (t) => {
  const p = loadProfile('research')
  t.same([...p.options].sort(), ['cleanDescriptors', 'retainDeviceIdentity', 'retainLongitudinalModifiedDates', 'retainPatientCharacteristics', 'retainSafePrivate'])
  t.match(ruleFor(p, 0x00100010, 'PN'), { operation: 'pseudonym', format: 'ANON^{hash:10}' })
  t.match(ruleFor(p, 0x00100020, 'LO'), { operation: 'pseudonym', format: 'PID-{hash:12}' })
  t.match(ruleFor(p, 0x00080050, 'SH'), { operation: 'pseudonym', format: '{hash:16}' })
  t.match(ruleFor(p, 0x00200010, 'SH'), { operation: 'pseudonym' }, 'Study ID')
  t.equal(ruleFor(p, 0x00080020, 'DA').operation, 'shift-date', 'Study Date')
  t.equal(ruleFor(p, 0x00101010, 'AS').operation, 'keep', "Patient's Age")
  t.equal(ruleFor(p, 0x00181000, 'LO').operation, 'keep', 'Device Serial Number')
  t.equal(ruleFor(p, 0x00081030, 'LO').operation, 'clean-text', 'Study Description')
  t.equal(ruleFor(p, 0x00100030, 'DA').operation, 'empty', "Patient's Birth Date: no option keeps it")
  t.equal(p.privateRules.size, 479)
  t.equal(p.methodCodes.length, 6)
})

t.test('safe-harbor', async (t) => {
  const p = loadProfile('safe-harbor')
  t.equal(ruleFor(p, 0x00080020, 'DA').operation, 'year', 'Study Date: year only')
  t.equal(ruleFor(p, 0x0008002a, 'DT').operation, 'year', 'Acquisition DateTime: year only')
  t.equal(ruleFor(p, 0x00181200, 'DA').operation, 'year', 'any other date too')
  t.equal(ruleFor(p, 0x00100030, 'DA').operation, 'empty', "Patient's Birth Date: not even the year")
  t.equal(ruleFor(p, 0x00080030, 'TM').operation, 'empty', 'Study Time: the table (Z)')
  t.equal(ruleFor(p, 0x00101010, 'AS').operation, 'keep', "Patient's Age: Retain Patient Characteristics")
  t.equal(ruleFor(p, 0x00100010, 'PN').operation, 'empty')
  t.equal(ruleFor(p, 0x00191010, 'DS', 'ACME').operation, 'remove', 'private attributes removed')
  t.ok(p.reject.sopClasses.has(standardTables().sopClasses.get('VLPhotographicImageStorage')?.uid ?? '?'), 'full-face photographs: rejected')
  t.ok(p.reject.sopClasses.has(standardTables().sopClasses.get('EncapsulatedPDFStorage')?.uid ?? '?'), "basic's reject list")
  const description = p.description
  for (const letter of 'ABCDEFGHIJKLMNOPQR') t.match(description, `(${letter})`, `the description covers identifier (${letter})`)
})

t.test('strict: an allow-list of what an image needs, beyond the table', async (t) => {
  const p = loadProfile('strict')
  t.equal(p.mode, 'strict')
  const rules = (source('strict').rules ?? [])
  t.ok(rules.length >= 60 && rules.length <= 100, `${rules.length} rules`)
  for (const [i, r] of rules.entries()) {
    t.equal(r.action, 'K', `rules[${i}] keeps`)
    t.ok(r.keyword !== undefined, `rules[${i}] selects by keyword`)
  }
  const tableKeywords = new Set(standardTables().attributes.map((row) => row.keyword))
  t.same(rules.filter((r) => tableKeywords.has(r.keyword)).map((r) => r.keyword), [], 'no K rule undoes a Table E.1-1 row')
  for (const [tag, vr] of [[0x00280010, 'US'], [0x7fe00010, 'OW'], [0x00080016, 'UI'], [0x00281050, 'DS'], [0x00200032, 'DS']] as const) {
    t.equal(ruleFor(p, tag, vr).operation, 'keep', `${tag.toString(16)} kept`)
  }
  t.equal(ruleFor(p, 0x00180050, 'DS').operation, 'keep', 'Slice Thickness')
  t.equal(ruleFor(p, 0x00181030, 'LO').operation, 'remove-or-dummy', 'Protocol Name: the table (X/D)')
  t.equal(ruleFor(p, 0x00180060, 'DS').operation, 'remove', 'KVP: in no row and no rule')
  t.equal(ruleFor(p, 0x00080018, 'UI').operation, 'uid', 'SOP Instance UID: the table (U)')
  t.equal(ruleFor(p, 0x00100010, 'PN').operation, 'empty', "Patient's Name: the table (Z), present for Type 2")
  t.equal(ruleFor(p, 0x0040a160, 'UT').operation, 'dummy', "basic's rules stay")
})

t.test('passthrough', async (t) => {
  const p = loadProfile('passthrough')
  t.equal(p.mode, 'passthrough')
  t.equal(ruleFor(p, 0x00100010, 'PN').operation, 'keep')
})

t.test('profile.schema.json is a valid draft-07 JSON Schema (start-up skips this check for speed)', async (t) => {
  const { Ajv } = await import('ajv')
  const ajv = new Ajv()
  const schema = JSON.parse(readFileSync(PROFILE_SCHEMA_PATH, 'utf8')) as object
  t.equal(ajv.validateSchema(schema), true, JSON.stringify(ajv.errors))
  t.doesNotThrow(() => ajv.compile(schema), 'compiles')
})

t.test('the generated schema validator is current (npm run generate)', async (t) => {
  const { renderValidator, VALIDATOR_FILE } = await import('../../scripts/generate-profile-validator.js')
  t.equal(readFileSync(VALIDATOR_FILE, 'utf8'), renderValidator(), 'schema-validator.generated.ts matches profiles/profile.schema.json')
})
