/**
 * Clean Descriptors (src/deid/clean-text.ts, PS3.15 §E.3.5): the patient's values and the
 * common PHI patterns go; ordinary clinical descriptors stay exactly as they are.
 */
import fc from 'fast-check'
import t from 'tap'
import { MASK_MAX, NO_IDENTIFIERS, cleanText, compileIdentifiers, type PatientIdentifiers } from '../../src/deid/clean-text.js'

const PATIENT: PatientIdentifiers = {
  names: ['DOE^JOHN^QUINCY^DR^JR', 'Yamada^Tarou=山田^太郎=やまだ^たろう', 'Hong^Gildong=洪^吉洞=홍^길동', 'Wang^XiaoDong=王^小东', 'VAN DER BERG^ANNA-MARIA', "O'BRIEN^SEAN"],
  ids: ['000123456', 'AB-7781', '98765', 'X1'],
  dates: ['19700315', '20240102'],
  addresses: ['12 Elm Street^Springfield^IL^62704', 'Flat 3, 27 Rue de la Paix, Paris'],
  phones: ['+1 (555) 321-7654'],
  other: ['St. Elsewhere Clinic']
}
const patient = compileIdentifiers(PATIENT)
const patternsOnly = compileIdentifiers(NO_IDENTIFIERS)

/** Clinical descriptors that must come out exactly as they went in. */
const DESCRIPTORS = [
  'CT CHEST W/O CONTRAST', 'MR BRAIN 3D T1', 'Head^Routine', 'AX T2 FLAIR 5mm', 'Thorax 2.0 B31f', 'SAG T1 MPRAGE 1x1x1',
  'LEFT KNEE', 'Dose Report', 'Series 3', 'kV 120', 'DWI b0 500 1000', 'Matrix 512x512', 'Slice 1/20', 'TR 2000 TE 80',
  '3.0T', 'C1-C7', 'L4/L5', 'T10-L2', 'W 400 L 40', 'v1.2.3', 'Ser 5 Img 120', 'HU -1000 to 3000', 'Decubitus', 'May protocol',
  'CTA HEAD AND NECK', 'PET/CT WB FDG', 'DR CHEST PA/LAT', 'MR Dr. Smith protocol?'.replace('Smith', 'KNEE'), 'US ABD LTD',
  'FOV 24 cm 1.25mm', 'Phase 1 of 3', 'AP Portable', 'Mammo L CC', 'BREAST TOMO 1mm', 'DLP 1234.5 mGy*cm', 'Scout 0.6 120kV',
  'Exam 2 of 2', 'CHEST 1 VIEW', 'Sinus 3mm Bone', 'Body 5.0 CE', 'ep2d_diff_3scan_trace_p2', 't1_mpr_sag_p2_iso_0.9',
  'Cor T2 STIR 4mm', 'Lung 1.0 B70f', 'Eovist 20 min', 'Post 10 ml Gd', 'Ax 3D SPGR +C', 'MIP 10/2', 'Cardiac 75% 0.6',
  'Head 5mm 120kV 250mAs', 'Doe', '', ' ', '***'
] as const

t.test('clinical descriptors stay exactly as they are', async (t) => {
  for (const text of DESCRIPTORS) {
    t.equal(cleanText(text, patternsOnly), text, `patterns only: ${JSON.stringify(text)}`)
    if (text === 'Doe') continue
    t.equal(cleanText(text, patient), text, `with a patient: ${JSON.stringify(text)}`)
  }
})

t.test('names: every component, any order and case, initials', async (t) => {
  const cases: readonly (readonly [string, string])[] = [
    ['CT CHEST JOHN DOE', 'CT CHEST ***'],
    ['Doe, John', '***'],
    ['DOE^JOHN', '***'],
    ['doe john quincy', '***'],
    ['J. Doe knee', '*** knee'],
    ['Doe J. knee', '*** knee'],
    ['John Q. Doe', '***'],
    ['Dr. John Doe', 'Dr. ***'], // the prefix is no name, and a clinical word (DR, MR)
    ['MR BRAIN for Doe', 'MR BRAIN for ***'],
    ['Doe Jr', '*** Jr'],
    ['Does John exist', 'Does *** exist'], // whole words: 'Does' is not 'Doe'
    ['Doe-John', '***'],
    ['Johnson', 'Johnson'],
    ['Yamada Tarou MR', '*** MR'],
    ['Anna-Maria van der Berg', '***'],
    ['Berg knee', '*** knee'],
    ['ANNA knee', '*** knee'],
    ['van knee', 'van knee'], // a particle alone is not searched
    ["O'Brien shoulder", '*** shoulder'],
    ['O’BRIEN shoulder', '*** shoulder'],
    ['Sean', '***'],
    ['W/O contrast', 'W/O contrast'] // an initial is only taken next to a name
  ]
  for (const [text, expected] of cases) t.equal(cleanText(text, patient), expected, JSON.stringify(text))
})

t.test('names in CJK text are found as substrings', async (t) => {
  const cases: readonly (readonly [string, string])[] = [
    ['山田太郎様の検査', '***様の検査'],
    ['患者山田の頭部CT', '患者**の頭部CT'], // two characters, a mask of two
    ['やまだたろう', '***'],
    ['太郎くん', '**くん'],
    ['王小东的CT', '***的CT'],
    ['小东胸部', '**胸部'],
    ['王医生', '王医生'], // a one-character component alone is not searched
    ['홍길동 흉부 CT', '*** 흉부 CT'],
    ['길동씨', '**씨'],
    ['洪吉洞', '***'],
    ['頭部単純CT', '頭部単純CT']
  ]
  for (const [text, expected] of cases) t.equal(cleanText(text, patient), expected, text)
})

t.test('IDs, dates, addresses, phones and other values of the patient', async (t) => {
  const cases: readonly (readonly [string, string])[] = [
    ['MRN 000123456', 'MRN ***'],
    ['MRN 123456', 'MRN ***'], // leading zeros dropped
    ['MRN 0123456', 'MRN ***'],
    ['MRN 123-456', 'MRN ***'],
    ['MRN:000123456.', 'MRN:***.'],
    ['ID123456 chest', '*** chest'], // widened to the whole word
    ['1234567', '***'],
    ['acc AB-7781', 'acc ***'],
    ['acc ab7781', 'acc ***'],
    ['acc AB 7781', 'acc ***'],
    ['acc AB77', 'acc AB77'],
    ['ref 98765 ok', 'ref *** ok'],
    ['ref 987654 ok', 'ref 987654 ok'],
    ['X1 view', 'X1 view'], // IDs under 3 characters are not searched
    ['DOB 3/15/70', 'DOB ***'],
    ['DOB 15.3.70', 'DOB ***'],
    ['DOB 19700315', 'DOB ***'],
    ['DOB 15-Mar-70', 'DOB ***'],
    ['DOB March 15, 70', 'DOB ***'],
    ['DOB 15th mar. 1970', 'DOB ***'],
    ['DOB 16-Mar-70', 'DOB 16-Mar-70'], // another day, and a 2-digit year is only searched for the patient's dates
    ['seen 2.1.24', 'seen ***'],
    ['12 Elm Street', '***'],
    ['lives at 12 elm  street, Springfield', 'lives at ***'],
    ['27 Rue de la Paix', '***'],
    ['Springfield', '***'],
    ['call 555 321 7654', 'call ***'],
    ['call 321-7654 now', 'call *** now'],
    ['call 5553217654', 'call ***'],
    ['from St. Elsewhere Clinic', 'from ***']
  ]
  for (const [text, expected] of cases) t.equal(cleanText(text, patient), expected, JSON.stringify(text))
})

t.test('PHI patterns, whoever they belong to', async (t) => {
  const cases: readonly (readonly [string, string])[] = [
    ['mail jane.roe+ct@example.org please', 'mail *** please'],
    ['see https://pacs.example.org/viewer?study=1', 'see ***'],
    ['see www.example.org/x', 'see ***'],
    ['from 192.168.10.20 today', 'from *** today'],
    ['from 999.1.1.1', 'from 999.1.1.1'], // no IPv4 address
    ['SSN 123-45-6789', 'SSN ***'],
    ['call +44 20 7946 0958', 'call ***'],
    ['call +1-202-555-0143', 'call ***'],
    ['call (202) 555-0143', 'call ***'],
    ['call 202.555.0143', 'call ***'],
    ['on 2021-01-02', 'on ***'],
    ['on 2021/1/2', 'on ***'],
    ['on 02.01.2021', 'on ***'],
    ['on 12/31/2021', 'on ***'],
    ['on 31/12/2021', 'on ***'],
    ['on 13/13/2021', 'on 13/13/2021'], // no date
    ['on March 5, 2021', 'on ***'],
    ['on 5 Mar 2021', 'on ***'],
    ['on 05-MAR-2021', 'on ***'],
    ['on 1st January 2021', 'on ***'],
    ['acc 98765432', 'acc ***'],
    ['acc A98765432B', 'acc ***'],
    ['on 20210102', 'on ***'],
    ['JOHN SMITH 1970-01-01 ID 7654321', 'JOHN SMITH *** ID ***']
  ]
  for (const [text, expected] of cases) t.equal(cleanText(text, patternsOnly), expected, JSON.stringify(text))
})

t.test('masks: merged, never longer, at most three characters', async (t) => {
  t.equal(cleanText('John Doe, 1970-03-15, MRN 123456', patient), '***, MRN ***', 'spans separated by punctuation merge')
  t.equal(cleanText('Doe', patient), '***')
  t.equal(cleanText('Li', compileIdentifiers({ ...NO_IDENTIFIERS, names: ['LI^WEI'] })), '**', 'never longer than the span')
  const text = 'no identifiers here'
  t.equal(cleanText(text, patient), text)
  const names = fc.stringMatching(/^[A-Z][a-z]{2,9}$/)
  const words = fc.array(fc.constantFrom(...DESCRIPTORS.filter((d) => d.trim() !== '' && d !== 'Doe'), 'and', 'of', 'for'), { maxLength: 4 })
  fc.assert(fc.property(names, names, words, words, fc.constantFrom(' ', ', ', '^'), (family, given, before, after, sep) => {
    const matcher = compileIdentifiers({ ...NO_IDENTIFIERS, names: [`${family}^${given}`] })
    const input = [...before, `${given}${sep}${family}`.toUpperCase(), ...after].join(' ')
    const out = cleanText(input, matcher)
    const word = (w: string): RegExp => new RegExp(`(^|[^A-Za-z])${w}([^A-Za-z]|$)`, 'i')
    return out.length <= input.length && !word(family).test(out) && !word(given).test(out)
  }), { numRuns: 500 })
  fc.assert(fc.property(fc.string({ maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 100 }), (a, b) => {
    const s = `${a} ${b}`
    const out = cleanText(s, patient)
    return out.length <= s.length && (out === s || out.includes('*'))
  }), { numRuns: 2000 })
  t.ok(MASK_MAX <= 3)
})

t.test('identifiers that are empty, short or odd compile to a working matcher', async (t) => {
  const odd = compileIdentifiers({
    names: ['', '^', '=^=', 'A^B', '(a+b)*^[x]', 'ÆSIR^ÐÓR'],
    ids: ['', '  ', '.*', '0000000', '12', '(?<x>)'],
    dates: ['', 'garbage', '20201301', '2020'],
    addresses: ['', '^^', 'a,b'],
    phones: ['', '123', '+'],
    other: ['', 'ab', '$1$2']
  })
  t.equal(cleanText('CT CHEST aab xx 12 ab $1$2', odd), 'CT CHEST aab xx 12 ab ***', 'regex characters are literal; short values ignored')
  t.equal(cleanText('CT (a+b)* [x]', odd), 'CT ***', 'a name that is all punctuation is still found')
  t.equal(cleanText('Ðór Æsir', odd), '***')
  t.equal(cleanText('MRN 0000000', odd), 'MRN ***', 'a run of 7 digits in any case')
})

t.test('the same matcher for many values; long values in linear time', async (t) => {
  for (let i = 0; i < 3; i++) {
    t.equal(cleanText('John Doe', patient), '***', `call ${i}`)
    t.equal(cleanText('LEFT KNEE', patient), 'LEFT KNEE')
  }
  for (const unit of ['a', '1', '1.', 'a@', ' ', 'may ', '+1', 'Doe ', '山', '1-', 'jan 1 ']) {
    const text = unit.repeat(Math.ceil(200_000 / unit.length))
    const start = performance.now()
    const out = cleanText(text, patient)
    const ms = performance.now() - start
    t.ok(ms < 1000, `${JSON.stringify(unit)} × ${text.length / unit.length}: ${ms.toFixed(1)} ms`)
    t.ok(out.length <= text.length)
  }
})

t.test('compiling is cheap: a new matcher for every instance', async (t) => {
  t.equal(compileIdentifiers(NO_IDENTIFIERS).patient, undefined, 'no patient values, no patient RegExp')
  const start = performance.now()
  for (let i = 0; i < 100; i++) {
    const matcher = compileIdentifiers({ ...PATIENT, ids: [`ID${i}X`], names: [...PATIENT.names, `ROE${i}^JANE`] })
    t.equal(cleanText(`CT ROE${i} CHEST`, matcher), 'CT *** CHEST')
  }
  const ms = performance.now() - start
  // Unicode property classes in a per-instance RegExp cost milliseconds each to compile.
  t.ok(ms < 500, `100 patients compiled and used in ${ms.toFixed(1)} ms`)
})
