import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import dicomParser from 'dicom-parser'
import fc from 'fast-check'
import t from 'tap'
import { compileCharset, DEFAULT_CHARSET, normaliseTerm } from '../../src/dicom/charset.js'
import { DicomgateError } from '../../src/errors.js'
import { CORPUS_DIR, corpusEntries, corpusSkip } from '../helpers/corpus.js'

/** Bytes written as a latin1 string, the way PS3.5 Annexes H-K print them. */
const bytes = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'latin1'))
const hex = (data: Uint8Array): string => Buffer.from(data).toString('hex')
const isUnknownCharset = (err: unknown): boolean => err instanceof DicomgateError && err.code === 'DG_DICOM_UNKNOWN_CHARSET'
/** tap matches a thrown error against this pattern: match errors by code, never by message. */
const UNKNOWN_CHARSET = { code: 'DG_DICOM_UNKNOWN_CHARSET' } as const
const UNENCODABLE = { code: 'DG_DICOM_UNENCODABLE_TEXT' } as const

t.test('PS3.5 Annex H: Japanese', async (t) => {
  // H.3.1: ISO 2022 IR 87 (JIS X 0208 in G0, 7-bit).
  const ir87 = compileCharset(['', 'ISO 2022 IR 87'])
  t.equal(ir87.decode(bytes('Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B'), 'PN'),
    'Yamada^Tarou=山田^太郎=やまだ^たろう', 'ま is 0x24 0x5E: the ^ inside a JIS X 0208 pair is no delimiter')
  // H.3.2: ISO 2022 IR 13 (JIS X 0201 katakana in G1, Romaji in G0) with IR 87.
  const ir13 = compileCharset(['ISO 2022 IR 13', 'ISO 2022 IR 87'])
  t.equal(ir13.decode(bytes('\xd4\xcf\xc0\xde^\xc0\xdb\xb3=\x1b$B;3ED\x1b(J^\x1b$BB@O:\x1b(J=\x1b$B$d$^$@\x1b(J^\x1b$B$?$m$&\x1b(J'), 'PN'),
    'ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう')
  // JIS X 0212 (ISO 2022 IR 159) for 鷗, as in pydicom issue 917.
  const ir159 = compileCharset(['ISO 2022 IR 6', 'ISO 2022 IR 87', 'ISO 2022 IR 159'])
  t.equal(ir159.decode(bytes('Mori^Ogai=\x1b$B?9\x1b(B^\x1b$(Dl?\x1b$B30\x1b(B=\x1b$B$b$j\x1b(B^\x1b$B$*$&$,$$\x1b(B'), 'PN'),
    'Mori^Ogai=森^鷗外=もり^おうがい')
  t.equal(compileCharset(['ISO_IR 13']).decode(bytes('\xd4\xcf\xc0\xde'), 'LO'), 'ﾔﾏﾀﾞ', 'ISO_IR 13 without extensions')
})

t.test('PS3.5 Annex I: Korean', async (t) => {
  const korean = compileCharset(['', 'ISO 2022 IR 149'])
  const value = bytes('Hong^Gildong=\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7=\x1b$)C\xc8\xab^\x1b$)C\xb1\xe6\xb5\xbf')
  t.equal(korean.decode(value, 'PN'), 'Hong^Gildong=洪^吉洞=홍^길동')
  // "ISO_IR 149" is not a Defined Term but names KS X 1001 unambiguously: G1 from the start.
  const orthanc = compileCharset(['ISO_IR 149'])
  t.equal(orthanc.decode(bytes('\xc8\xab^\xb1\xe6\xb5\xbf'), 'PN'), '홍^길동')
  t.equal(orthanc.decode(value, 'PN'), 'Hong^Gildong=洪^吉洞=홍^길동')
})

t.test('PS3.5 Annexes J and K: Chinese', async (t) => {
  t.equal(compileCharset(['ISO_IR 192']).decode(bytes('Wang^XiaoDong=\xe7\x8e\x8b^\xe5\xb0\x8f\xe6\x9d\xb1='), 'PN'), 'Wang^XiaoDong=王^小東=')
  t.equal(compileCharset(['GB18030']).decode(bytes('Wang^XiaoDong=\xcd\xf5^\xd0\xa1\xb6\xab='), 'PN'), 'Wang^XiaoDong=王^小东=')
  t.equal(compileCharset(['GBK']).decode(bytes('\xcd\xf5^\xd0\xa1\xb6\xab'), 'PN'), '王^小东')
  t.equal(compileCharset(['', 'ISO 2022 IR 58']).decode(bytes('Zhang^XiaoDong=\x1b$)A\xd5\xc5^\x1b$)A\xd0\xa1\xb6\xab='), 'PN'), 'Zhang^XiaoDong=张^小东=')
  // In GBK a second byte may be 0x5C: decode first, split after.
  t.equal(compileCharset(['GBK']).decode(bytes('\x81\x5c\\A'), 'LO'), '乗\\A')
})

t.test('single-byte sets, with and without code extensions', async (t) => {
  const cases: readonly (readonly [ir: number, escape: string, byte: number, char: string])[] = [
    [100, '-A', 0xe9, 'é'], [101, '-B', 0xa1, 'Ą'], [109, '-C', 0xa1, 'Ħ'], [110, '-D', 0xa1, 'Ą'],
    [144, '-L', 0xb0, 'А'], [127, '-G', 0xc7, 'ا'], [126, '-F', 0xc4, 'Δ'], [138, '-H', 0xf9, 'ש'],
    [148, '-M', 0xd0, 'Ğ'], [203, '-b', 0xa4, '€'], [166, '-T', 0xa1, 'ก'], [13, ')I', 0xb1, 'ｱ']
  ]
  for (const [ir, escape, byte, char] of cases) {
    const value = Uint8Array.of(0x41, byte)
    t.equal(compileCharset([`ISO_IR ${ir}`]).decode(value, 'LO'), `A${char}`, `ISO_IR ${ir}`)
    t.equal(compileCharset([`ISO 2022 IR ${ir}`]).decode(value, 'LO'), `A${char}`, `ISO 2022 IR ${ir}`)
    const switched = Uint8Array.from([...bytes(`\x1b${escape}`), byte])
    t.equal(compileCharset(['', `ISO 2022 IR ${ir}`]).decode(switched, 'LO'), char, `ESC ${escape} designates ISO-IR ${ir}`)
    t.same(compileCharset([`ISO_IR ${ir}`]).encode(`A${char}`, 'LO'), value, `ISO_IR ${ir} encodes`)
  }
  t.equal(compileCharset(['ISO_IR 100']).decode(Uint8Array.of(0x80, 0x9f), 'LO'), '\u0080\u009f', 'C1 controls, not windows-1252')
  t.equal(compileCharset(['ISO_IR 148']).decode(Uint8Array.of(0x80), 'LO'), '\u0080')
  t.equal(compileCharset(['ISO_IR 109']).decode(Uint8Array.of(0xa5), 'LO'), '\ufffd', 'a hole in ISO 8859-3')
  t.equal(compileCharset(['ISO_IR 166']).decode(Uint8Array.of(0xdb, 0xfc), 'LO'), '\ufffd\ufffd', 'holes of TIS 620, not private use')
  t.equal(compileCharset(['ISO_IR 13']).decode(Uint8Array.of(0xe0), 'LO'), '\ufffd')
  t.equal(compileCharset(['ISO_IR 100']).decode(bytes('\x1b-B'), 'LO'), '\x1b-B', 'no code extensions: ESC is a character')
  const long = new Uint8Array(10_000).fill(0xb1)
  t.equal(compileCharset(['ISO_IR 101']).decode(long, 'LT'), 'ą'.repeat(10_000), 'values longer than one chunk')
})

t.test('ISO 2022 state returns to value 1 at delimiters (PS3.5 §6.1.2.5.3)', async (t) => {
  const latin = compileCharset(['ISO 2022 IR 100', 'ISO 2022 IR 126'])
  const greekThenDelimiter = (delimiter: string): Uint8Array => bytes(`\x1b-F\xc4${delimiter}\xc4`)
  t.equal(latin.decode(greekThenDelimiter('^'), 'PN'), 'Δ^Ä', 'PN component delimiter')
  t.equal(latin.decode(greekThenDelimiter('='), 'PN'), 'Δ=Ä', 'PN group delimiter')
  t.equal(latin.decode(greekThenDelimiter('\\'), 'LO'), 'Δ\\Ä', 'value delimiter')
  t.equal(latin.decode(greekThenDelimiter('^'), 'LO'), 'Δ^Δ', '^ is no delimiter outside PN')
  t.equal(latin.decode(greekThenDelimiter('\\'), 'LT'), 'Δ\\Δ', 'LT is single-valued')
  t.equal(latin.decode(greekThenDelimiter('\r\n'), 'LT'), 'Δ\r\nÄ', 'end of line')
  t.equal(latin.decode(greekThenDelimiter('\t'), 'ST'), 'Δ\tÄ', 'TAB')
  // Without a G1 set (value 1 is the default) high bytes read as ISO 8859-1, like no charset.
  t.equal(compileCharset(['', 'ISO 2022 IR 149']).decode(bytes('\x1b$)C\xb1\xe6^\xb1\xe6'), 'PN'), '길^±æ')
  t.equal(compileCharset(['', 'ISO 2022 IR 87']).decode(bytes('\x1b$B;3E'), 'PN'), '山\ufffd', 'half a pair')
  t.throws(() => compileCharset(['', 'ISO 2022 IR 58']).decode(bytes('\x1b$)G\xb1\xe6'), 'PN'), UNKNOWN_CHARSET, 'ISO-IR 165 is not DICOM')
  t.throws(() => compileCharset(['', 'ISO 2022 IR 100']).decode(bytes('A\x1b'), 'PN'), UNKNOWN_CHARSET, 'ESC at the end')
})

t.test('default repertoire and VRs outside (0008,0005)', async (t) => {
  t.equal(DEFAULT_CHARSET.decode(bytes('Buc^J\xe9r\xf4me'), 'PN'), 'Buc^Jérôme', 'bytes above 0x7F as ISO 8859-1')
  t.equal(compileCharset(['']), DEFAULT_CHARSET, 'an empty value is the default repertoire')
  t.equal(compileCharset(['ISO_IR 6']).decode(bytes('ABC'), 'PN'), 'ABC')
  const utf8 = compileCharset(['ISO_IR 192'])
  t.equal(utf8.decode(bytes('\xc3\xa9'), 'CS'), 'Ã©', 'CS uses the default repertoire (PS3.5 §6.1.2.3)')
  t.equal(utf8.decode(bytes('\xc3\xa9'), 'SH'), 'é')
  t.same(utf8.encode('Ã©', 'CS'), bytes('\xc3\xa9'))
  t.throws(() => utf8.encode('é€', 'UI'), UNENCODABLE)
  t.equal(compileCharset(['ISO_IR 192']).decode(bytes('\xef\xbb\xbfA'), 'LO'), '\ufeffA', 'a BOM is kept, not eaten')
})

t.test('encoding', async (t) => {
  const utf8 = compileCharset(['ISO_IR 192'])
  t.same(utf8.encode('Wang^XiaoDong=王^小東=', 'PN'), bytes('Wang^XiaoDong=\xe7\x8e\x8b^\xe5\xb0\x8f\xe6\x9d\xb1='))
  t.throws(() => utf8.encode('a\ud800b', 'LO'), UNENCODABLE, 'a lone surrogate')
  t.equal(hex(compileCharset(['GB18030']).encode('Wang^王^小东', 'PN')), hex(bytes('Wang^\xcd\xf5^\xd0\xa1\xb6\xab')))
  t.throws(() => compileCharset(['GB18030']).encode('😀', 'PN'), UNENCODABLE, 'four-byte GB18030 is not generated')
  t.equal(hex(compileCharset(['ISO_IR 149']).encode('홍^길동', 'PN')), 'c8ab5eb1e6b5bf', 'KS X 1001 as the initial G1')
  t.same(compileCharset(['', 'ISO 2022 IR 87']).encode('Yamada', 'PN'), bytes('Yamada'))
  t.throws(() => compileCharset(['', 'ISO 2022 IR 87']).encode('山田', 'PN'), UNENCODABLE, 'escape sequences are not written')
  t.throws(() => compileCharset(['ISO_IR 100']).encode('Δ', 'PN'), UNENCODABLE)
  t.throws(() => compileCharset(['ISO 2022 IR 100']).encode('a\x1b-Fb', 'LO'), UNENCODABLE, 'no ESC with code extensions')
  t.same(compileCharset(['ISO_IR 100']).encode('a\x1b', 'LO'), bytes('a\x1b'), 'ESC is a character without them')
  t.same(DEFAULT_CHARSET.encode('Jérôme', 'PN'), bytes('J\xe9r\xf4me'), 'the default repertoire round-trips ISO 8859-1')
  try {
    compileCharset(['ISO_IR 100']).encode('Secret Δ', 'PN')
    t.fail('should throw')
  } catch (err) {
    t.notMatch((err as Error).message, /Secret|Δ/, 'the message carries no value text')
    t.match((err as Error).message, /character 7/)
  }

  const latin1 = compileCharset(['ISO_IR 100'])
  const thai = compileCharset(['ISO_IR 166'])
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (value) => {
    return hex(latin1.encode(latin1.decode(value, 'LO'), 'LO')) === hex(value) &&
      hex(DEFAULT_CHARSET.encode(DEFAULT_CHARSET.decode(value, 'PN'), 'PN')) === hex(value)
  }))
  fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 32 }), (text) => utf8.decode(utf8.encode(text, 'UT'), 'UT') === text))
  const thaiBytes = fc.uint8Array({ maxLength: 64 }).map((v) => v.filter((b) => b < 0x80 || (b >= 0xa1 && b <= 0xda) || (b >= 0xdf && b <= 0xfb)))
  fc.assert(fc.property(thaiBytes, (value) => hex(thai.encode(thai.decode(value, 'LO'), 'LO')) === hex(value)))
})

t.test('terms: accepted spellings, unknown terms, combinations', async (t) => {
  for (const spelling of ['ISO_IR 100', 'ISO-IR 100', 'ISO IR 100', 'ISO_IR100', 'iso-ir-100', 'ISO_IR 100 ', 'ISO_IR 100\0']) {
    t.equal(normaliseTerm(spelling), 'ISOIR100', spelling)
    t.equal(compileCharset([spelling]).decode(Uint8Array.of(0xe9), 'LO'), 'é', spelling)
  }
  t.equal(normaliseTerm('ISO2022IR100'), 'ISO2022IR100')
  t.equal(compileCharset(['ISO2022IR100']).decode(bytes('\xe9'), 'LO'), 'é')
  t.equal(compileCharset(['ISO-IR 100']), compileCharset(['ISO_IR 100']), 'codecs are cached by normalised term')
  t.equal(compileCharset(['ISO_IR 100', 'ISO_IR 126']).decode(bytes('\x1b-F\xc4'), 'LO'), 'Δ', 'ISO_IR n in a multi-valued set means ISO 2022 IR n')
  t.equal(compileCharset(['', 'ISO_IR 192']).decode(bytes('\xc3\xa9'), 'LO'), 'é', 'an empty value 1 beside ISO_IR 192')
  t.equal(compileCharset(['ISO_IR 192', 'ISO_IR 192']).decode(bytes('\xc3\xa9'), 'LO'), 'é', 'a repeated term')

  t.throws(() => compileCharset(['ISO_IR 999']), UNKNOWN_CHARSET)
  t.throws(() => compileCharset(['UTF-8']), UNKNOWN_CHARSET, 'UTF-8 is spelled ISO_IR 192')
  t.throws(() => compileCharset(['ISO 2022 IR 192']), UNKNOWN_CHARSET)
  t.throws(() => compileCharset(['ISO_IR 192', 'ISO_IR 100']), UNKNOWN_CHARSET, 'ISO_IR 192 takes no code extensions')
  t.throws(() => compileCharset(['GB18030', 'ISO 2022 IR 58']), UNKNOWN_CHARSET)
  t.throws(() => compileCharset(['ISO_IR 100', 'ISO 2022 IR 165']), UNKNOWN_CHARSET)
  try {
    compileCharset(['ISO_IR 100', 'KOI8-R'])
    t.fail('should throw')
  } catch (err) {
    t.ok(isUnknownCharset(err))
    t.match((err as Error).message, /"KOI8-R"/, 'a defined-term-like value is named')
  }
  try {
    compileCharset(['Doe^John the patient name'])
    t.fail('should throw')
  } catch (err) {
    t.notMatch((err as Error).message, /Doe|John/, 'a value that is no term is not echoed')
  }
})

/** Raw bytes of (0008,0005) and (0010,0010) of a data set parsed by dicom-parser (our reader is not used here). */
function patientName (file: Uint8Array, dataSet: dicomParser.DataSet): { charset: string[], name: Uint8Array } | undefined {
  const charset = dataSet.elements.x00080005
  const name = dataSet.elements.x00100010
  if (name === undefined) return undefined
  const text = charset === undefined ? undefined : Buffer.from(file.buffer, file.byteOffset + charset.dataOffset, charset.length).toString('latin1')
  return {
    charset: text === undefined ? [] : text.split('\\'),
    name: file.subarray(name.dataOffset, name.dataOffset + name.length)
  }
}

t.test('corpus: Patient Name per Specific Character Set', { skip: corpusSkip }, async (t) => {
  // Expected names as dcmdump +U8 (dcmtk 3.6.7) prints them; for the two ISO 2022 IR 87
  // files, whose conversion glibc iconv refuses, as Python's iso2022_jp and shift_jis read them.
  const expected = {
    'pydicom/charset/chrArab.dcm': 'قباني^لنزار',
    'pydicom/charset/chrFrenMulti.dcm': 'Buc^Jérôme',
    'pydicom/charset/chrGreek.dcm': 'Διονυσιος',
    'pydicom/charset/chrH31.dcm': 'Yamada^Tarou=山田^太郎=やまだ^たろう',
    'pydicom/charset/chrHbrw.dcm': 'שרון^דבורה',
    'pydicom/charset/chrRuss.dcm': 'Люкceмбypг',
    'pydicom/charset/chrX1.dcm': 'Wang^XiaoDong=王^小東=',
    'pydicom/charset/chrX2.dcm': 'Wang^XiaoDong=王^小东=',
    'fo-dicom/chrGB2312.dcm': 'Zhang^XiaoDong=张^小东=',
    'fo-dicom/GH1301.dcm': 'Wang^XiaoDong=王^小东='
  } as const
  for (const [path, name] of Object.entries(expected)) {
    const file = new Uint8Array(readFileSync(join(CORPUS_DIR, path)))
    const found = patientName(file, dicomParser.parseDicom(file))
    if (found === undefined) {
      t.fail(`${path} has no Patient Name`)
      continue
    }
    // PS3.5 §6.2: text values are padded with a trailing space to even length.
    t.equal(compileCharset(found.charset).decode(found.name, 'PN').replace(/ +$/, ''), name, path)
  }

  // A sequence item with its own (0008,0005): ISO 2022 IR 13 and IR 87 inside ISO_IR 192.
  const file = new Uint8Array(readFileSync(join(CORPUS_DIR, 'pydicom/charset/chrSQEncoding.dcm')))
  const item = dicomParser.parseDicom(file).elements.x00321064?.items?.[0]?.dataSet
  const found = item === undefined ? undefined : patientName(file, item)
  t.same(found?.charset.map((v) => v.trim()), ['ISO 2022 IR 13', 'ISO 2022 IR 87'])
  if (found !== undefined) t.equal(compileCharset(found.charset).decode(found.name, 'PN'), 'ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう')
})

t.test('corpus: every Specific Character Set compiles', { skip: corpusSkip }, async (t) => {
  let parsed = 0
  for (const entry of corpusEntries()) {
    const file = new Uint8Array(readFileSync(entry.absolutePath))
    let dataSet: dicomParser.DataSet
    try {
      dataSet = dicomParser.parseDicom(file, { untilTag: 'x00080006' })
    } catch {
      continue // dicom-parser cannot read every corpus file (no preamble, deflate, big endian…)
    }
    parsed++
    const element = dataSet.elements.x00080005
    const values = element === undefined ? [] : Buffer.from(file.buffer, file.byteOffset + element.dataOffset, element.length).toString('latin1').split('\\')
    t.doesNotThrow(() => compileCharset(values), `${entry.path}: ${JSON.stringify(values)}`)
  }
  t.ok(parsed > 100, `dicom-parser read ${parsed} corpus files`)
})
