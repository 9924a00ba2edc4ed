/**
 * Date, date-time and age values for de-identification (PS3.15 §E.3.6 Retain Longitudinal
 * Temporal Information with Modified Dates; the `Y` action; HIPAA Safe Harbor ages).
 *
 * One value at a time, as text (PS3.5 §6.2): the engine splits multi-valued elements on
 * `\` first. Leading and trailing spaces (padding) are ignored and not written back; an
 * empty value stays empty. A value that cannot be parsed gives `undefined`, never a guess:
 * the engine then removes or empties the element (fail closed), since a date it cannot
 * read is a date it cannot shift.
 *
 * Arithmetic is on day numbers of the proleptic Gregorian calendar (no Date object, no
 * local time zone, no DST): years 0000 to 9999, and a result outside them is `undefined`.
 * Times and UTC offsets are kept as they are: a shift is a whole number of days.
 */
import { DicomgateError } from '../errors.js'

// ── calendar (H. Hinnant's days_from_civil / civil_from_days) ─────────────────────────

function daysFromCivil (year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

function civilFromDays (days: number): readonly [year: number, month: number, day: number] {
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day]
}

function isLeapYear (year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const

function isValidDate (year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false
  return day <= (month === 2 && isLeapYear(year) ? 29 : MONTH_DAYS[month - 1] ?? 0)
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0')

/** YYYYMMDD of a shifted day, or undefined outside years 0000-9999. */
function formatShifted (year: number, month: number, day: number, shift: number): string | undefined {
  const [y, m, d] = civilFromDays(daysFromCivil(year, month, day) + shift)
  return y < 0 || y > 9999 ? undefined : `${pad(y, 4)}${pad(m, 2)}${pad(d, 2)}`
}

function checkDays (days: number): void {
  if (!Number.isSafeInteger(days)) {
    throw new DicomgateError('DG_PROFILE_INVALID', 'a date shift must be a whole number of days')
  }
}

const trim = (value: string): string => value.trim()

/**
 * Range matching (PS3.4 §C.2.2.2.5): 'A-B', '-B', 'A-'. Applies `one` to each side; the
 * value is a range only when it has exactly one '-' and at least one side.
 */
function mapRange (value: string, one: (part: string, end: boolean) => string | undefined): string | undefined {
  const dash = value.indexOf('-')
  if (dash < 0 || dash !== value.lastIndexOf('-') || value.length === 1) return undefined
  const from = value.slice(0, dash)
  const to = value.slice(dash + 1)
  const a = from === '' ? '' : one(from, false)
  const b = to === '' ? '' : one(to, true)
  return a === undefined || b === undefined ? undefined : `${a}-${b}`
}

// ── DA ──────────────────────────────────────────────────────────────────────────────────

/** YYYYMMDD, or the ACR-NEMA YYYY.MM.DD that PS3.5 §6.2 still tells readers to accept. */
const DA = /^(\d{4})(\.?)(\d{2})\2(\d{2})$/

function parseDA (value: string): readonly [number, number, number] | undefined {
  const m = DA.exec(value)
  if (m === null) return undefined
  const date = [Number(m[1]), Number(m[3]), Number(m[4])] as const
  return isValidDate(...date) ? date : undefined
}

/**
 * A DA value moved by `days`: 'YYYYMMDD' or 'YYYY.MM.DD' (written back as YYYYMMDD), or a
 * range 'A-B', '-B', 'A-' with each end moved. Undefined when it cannot be parsed.
 */
export function shiftDate (value: string, days: number): string | undefined {
  checkDays(days)
  const text = trim(value)
  if (text === '') return ''
  const date = parseDA(text)
  if (date !== undefined) return formatShifted(...date, days)
  return mapRange(text, (part) => {
    const d = parseDA(part)
    return d === undefined ? undefined : formatShifted(...d, days)
  })
}

/**
 * The `Y` action for DA (45 CFR 164.514(b)(2)(i)(C): the year may stay): 'YYYY0101'. A
 * range is widened to whole years, 'YYYY0101-YYYY1231', so that it still covers its dates.
 */
export function yearOnlyDate (value: string): string | undefined {
  const text = trim(value)
  if (text === '') return ''
  const date = parseDA(text)
  if (date !== undefined) return `${pad(date[0], 4)}0101`
  return mapRange(text, (part, end) => {
    const d = parseDA(part)
    return d === undefined ? undefined : `${pad(d[0], 4)}${end ? '1231' : '0101'}`
  })
}

// ── DT ──────────────────────────────────────────────────────────────────────────────────

/** PS3.5 §6.2 DT: YYYY[MM[DD[HH[MM[SS[.F{1-6}]]]]]][&ZZXX]. */
const DT = /^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.\d{1,6})?)?)?)?)?)?(?:([+-])(\d{2})(\d{2}))?$/

interface ParsedDT {
  readonly year: number
  /** 0 when the value has year precision. */
  readonly month: number
  /** 0 when the value has year or month precision. */
  readonly day: number
  /** Everything after the date: time and offset, as written. */
  readonly rest: string
}

function parseDT (value: string): ParsedDT | undefined {
  const m = DT.exec(value)
  if (m === null) return undefined
  const [, y = '', mo, d, hh, mi, ss, sign, oh, om] = m
  const year = Number(y)
  const month = mo === undefined ? 0 : Number(mo)
  const day = d === undefined ? 0 : Number(d)
  if (mo !== undefined && (month < 1 || month > 12)) return undefined
  if (d !== undefined && !isValidDate(year, month, day)) return undefined
  if (Number(hh ?? 0) > 23 || Number(mi ?? 0) > 59 || Number(ss ?? 0) > 60) return undefined // 60: leap second
  // UTC offsets run from -12:00 to +14:00.
  if (sign !== undefined && (Number(om) > 59 || Number(oh) * 60 + Number(om) > (sign === '+' ? 14 * 60 : 12 * 60))) return undefined
  return { year, month, day, rest: value.slice(4 + (mo === undefined ? 0 : 2) + (d === undefined ? 0 : 2)) }
}

/** A DT value, else a DT range: a single value is tried first ('2020-0500' is 2020 at UTC-05:00). */
function mapDT (value: string, one: (dt: ParsedDT) => string | undefined): string | undefined {
  const text = trim(value)
  if (text === '') return ''
  const dt = parseDT(text)
  if (dt !== undefined) return one(dt)
  // The range dash is the one whose both sides parse (offsets have dashes too).
  for (let i = text.indexOf('-'); i >= 0; i = text.indexOf('-', i + 1)) {
    const from = text.slice(0, i)
    const to = text.slice(i + 1)
    if (from === '' && to === '') return undefined
    const a = from === '' ? undefined : parseDT(from)
    const b = to === '' ? undefined : parseDT(to)
    if ((from !== '' && a === undefined) || (to !== '' && b === undefined)) continue
    const left = a === undefined ? '' : one(a)
    const right = b === undefined ? '' : one(b)
    return left === undefined || right === undefined ? undefined : `${left}-${right}`
  }
  return undefined
}

/** July 2 halves a 365-day year; the 16th, a 30- or 31-day month. */
const YEAR_MIDDLE = [7, 2] as const
const MONTH_MIDDLE_DAY = 16

/**
 * A DT value (or range) moved by `days`, time of day and UTC offset kept as written.
 * A value of year or month precision is moved from the middle of its period (YYYY0702,
 * YYYYMM16) and keeps its precision: from the first day, every negative shift, even of
 * one day, would move it to the previous year or month, while the events it stands for
 * mostly stay in it.
 */
export function shiftDateTime (value: string, days: number): string | undefined {
  checkDays(days)
  return mapDT(value, (dt) => {
    const [month, day] = dt.month === 0 ? YEAR_MIDDLE : [dt.month, dt.day === 0 ? MONTH_MIDDLE_DAY : dt.day]
    const shifted = formatShifted(dt.year, month, day, days)
    if (shifted === undefined) return undefined
    const precision = dt.month === 0 ? 4 : dt.day === 0 ? 6 : 8
    return shifted.slice(0, precision) + dt.rest
  })
}

/**
 * The `Y` action for DT: 'YYYY' (DT allows year precision); time and UTC offset are
 * dropped, as they mean nothing at that precision. Ranges keep their ends' years.
 */
export function yearOnlyDateTime (value: string): string | undefined {
  return mapDT(value, (dt) => pad(dt.year, 4))
}

// ── AS ──────────────────────────────────────────────────────────────────────────────────

const AS = /^(\d{3})([DWMY])$/
const DAYS_PER_UNIT = { D: 1, W: 7, M: 365.25 / 12, Y: 365.25 } as const
/** HIPAA Safe Harbor, 45 CFR 164.514(b)(2)(i)(C): ages over 89 aggregate into "90 or older". */
export const AGE_CAP_YEARS = 90
export const CAPPED_AGE = '090Y'

/**
 * An AS value ('nnnD', 'nnnW', 'nnnM', 'nnnY', PS3.5 §6.2) with ages of 90 years or more
 * written as '090Y'; other ages unchanged. With three digits only 'Y' can reach 90 years
 * (999M is 83 years), but every unit is converted, so the rule holds whatever the unit.
 * Undefined when the value is not AS.
 */
export function capAge (value: string): string | undefined {
  const text = trim(value)
  if (text === '') return ''
  const m = AS.exec(text)
  if (m === null) return undefined
  const unit = m[2] as keyof typeof DAYS_PER_UNIT
  const years = Number(m[1]) * DAYS_PER_UNIT[unit] / DAYS_PER_UNIT.Y
  return years >= AGE_CAP_YEARS ? CAPPED_AGE : text
}
