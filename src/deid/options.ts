/**
 * The options of the Basic Application Level Confidentiality Profile (PS3.15 §E.3), each
 * with its column in Table E.1-1 and its code in CID 7050 (PS3.16), which goes into the
 * De-identification Method Code Sequence (0012,0064) of every output (PS3.15 §E.1.1).
 *
 * The option names are dicomgate's (profile files use them); the column keys are those of
 * the generated table (profiles/standard/ps3.15-e.1-1.json), the codes those of CID 7050.
 */

export const OPTIONS = [
  'retainSafePrivate',
  'retainUIDs',
  'retainDeviceIdentity',
  'retainInstitutionIdentity',
  'retainPatientCharacteristics',
  'retainLongitudinalFullDates',
  'retainLongitudinalModifiedDates',
  'cleanDescriptors',
  'cleanStructuredContent',
  'cleanGraphics'
] as const

export type OptionName = typeof OPTIONS[number]

export interface OptionSpec {
  /** The column of Table E.1-1 that holds this option's actions. */
  readonly column: string
  /** CID 7050 code value (coding scheme DCM). */
  readonly code: string
  /** PS3.15 section that defines the option. */
  readonly section: string
}

export const OPTION_SPECS: Readonly<Record<OptionName, OptionSpec>> = Object.freeze({
  retainSafePrivate: { column: 'rtnSafePrivOpt', code: '113111', section: 'E.3.10' },
  retainUIDs: { column: 'rtnUIDsOpt', code: '113110', section: 'E.3.9' },
  retainDeviceIdentity: { column: 'rtnDevIdOpt', code: '113109', section: 'E.3.8' },
  retainInstitutionIdentity: { column: 'rtnInstIdOpt', code: '113112', section: 'E.3.11' },
  retainPatientCharacteristics: { column: 'rtnPatCharsOpt', code: '113108', section: 'E.3.7' },
  retainLongitudinalFullDates: { column: 'rtnLongFullDatesOpt', code: '113106', section: 'E.3.6' },
  retainLongitudinalModifiedDates: { column: 'rtnLongModifDatesOpt', code: '113107', section: 'E.3.6' },
  cleanDescriptors: { column: 'cleanDescOpt', code: '113105', section: 'E.3.5' },
  cleanStructuredContent: { column: 'cleanStructContOpt', code: '113104', section: 'E.3.4' },
  cleanGraphics: { column: 'cleanGraphOpt', code: '113103', section: 'E.3.3' }
})

/** CID 7050 code of the Basic Application Level Confidentiality Profile itself. */
export const BASIC_PROFILE_CODE = '113100'

export function isOptionName (value: string): value is OptionName {
  return (OPTIONS as readonly string[]).includes(value)
}
