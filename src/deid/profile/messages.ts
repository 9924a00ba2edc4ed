/**
 * Messages of profile errors: `FILE: PATH DETAIL`, e.g.
 * `profiles/x.json: rules[3].keyword "PatientNmae" is not a DICOM keyword (did you mean "PatientName"?)`.
 *
 * Profiles hold no patient data, but a value quoted back is still cut short and stripped of
 * control characters: a message must stay one readable line whatever the file holds.
 */
import { DicomgateError } from '../../errors.js'

/** A value from a profile file, as a message quotes it. */
export function quote (value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value)
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, '?')
  return `"${clean.length > 60 ? `${clean.slice(0, 60)}…` : clean}"`
}

/** `rules[3].keyword` from the JSON Pointer `/rules/3/keyword`. */
export function pathOf (pointer: string): string {
  let path = ''
  for (const part of pointer.split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~')
    path += /^\d+$/.test(key) ? `[${key}]` : path === '' ? key : `.${key}`
  }
  return path
}

export function invalid (file: string, path: string, detail: string): DicomgateError {
  return new DicomgateError('DG_PROFILE_INVALID', `${file}: ${path === '' ? '' : `${path} `}${detail}`)
}

/** Edit distance, for suggestions only (short strings: keywords, option names). */
function distance (a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      row.push(Math.min((row[j - 1] ?? 0) + 1, (previous[j] ?? 0) + 1, (previous[j - 1] ?? 0) + cost))
    }
    previous = row
  }
  return previous[b.length] ?? 0
}

/** ` (did you mean "PatientName"?)`, or '' when nothing is close. */
export function didYouMean (input: string, candidates: Iterable<string>): string {
  if (input.length > 128) return ''
  const lower = input.toLowerCase()
  let best: string | undefined
  let bestDistance = Math.max(2, Math.floor(input.length / 4)) + 1
  for (const candidate of candidates) {
    if (candidate.toLowerCase() === lower) return ` (did you mean ${quote(candidate)}?)`
    if (Math.abs(candidate.length - input.length) >= bestDistance) continue
    const d = distance(lower, candidate.toLowerCase())
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best === undefined ? '' : ` (did you mean ${quote(best)}?)`
}
