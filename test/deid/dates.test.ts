/**
 * Dates, date-times and ages (src/deid/dates.ts): shifts by whole days on the proleptic
 * Gregorian calendar, year-only values, HIPAA age caps; undefined for what cannot be read.
 */
import fc from 'fast-check'
import t from 'tap'
import { capAge, shiftDate, shiftDateTime, yearOnlyDate, yearOnlyDateTime } from '../../src/deid/dates.js'

const PROFILE_INVALID = { code: 'DG_PROFILE_INVALID' } as const

/** YYYYMMDD of a UTC Date: the reference the calendar code is checked against. */
const da = (date: Date): string =>
  `${String(date.getUTCFullYear()).padStart(4, '0')}${String(date.getUTCMonth() + 1).padStart(2, '0')}${String(date.getUTCDate()).padStart(2, '0')}`
const DAY_MS = 86_400_000

t.test('shiftDate: DA values', async (t) => {
  const cases: readonly (readonly [string, number, string | undefined])[] = [
    ['20200228', 1, '20200229'], // leap year
    ['20200229', 1, '20200301'],
    ['20190228', 1, '20190301'], // not a leap year
    ['19000228', 1, '19000301'], // 1900: divisible by 100, not a leap year
    ['20000228', 1, '20000229'], // 2000: divisible by 400, a leap year
    ['20000229', 365, '20010228'],
    ['20000229', -366, '19990228'],
    ['20201231', 1, '20210101'], // year boundary
    ['20210101', -1, '20201231'],
    ['20210131', 30, '20210302'], // month ends
    ['20210331', -31, '20210228'],
    ['20200615', -3652, '20100616'], // ten years back is 3653 days (2012, 2016, 2020)
    ['20200615', 0, '20200615'],
    ['00010101', -1, '00001231'],
    ['00000101', -1, undefined], // before year 0000
    ['99991231', 1, undefined], // after year 9999
    ['99991230', 1, '99991231'],
    ['2020.02.28', 1, '20200229'], // ACR-NEMA form, written back as YYYYMMDD
    [' 20200101 ', -1, '20191231'], // padding
    ['', 5, ''],
    ['   ', 5, ''],
    ['20200101-20200131', -1, '20191231-20200130'], // ranges (PS3.4 §C.2.2.2.5)
    ['-20200131', 1, '-20200201'],
    ['20200131-', 1, '20200201-'],
    ['2020.01.01-2020.01.31', 1, '20200102-20200201'],
    ['20200230', 1, undefined],
    ['20201301', 1, undefined],
    ['20200001', 1, undefined],
    ['20200100', 1, undefined],
    ['00000000', 1, undefined],
    ['2020010', 1, undefined],
    ['202001011', 1, undefined],
    ['2020-01-01', 1, undefined],
    ['2020.0101', 1, undefined],
    ['202001.01', 1, undefined],
    ['abcdefgh', 1, undefined],
    ['２０２００１０１', 1, undefined], // full-width digits are no DA
    ['-', 1, undefined],
    ['20200101-20200102-20200103', 1, undefined],
    ['20200101-2020013', 1, undefined],
    ['20200101120000', 1, undefined] // a DT is no DA
  ]
  for (const [value, days, expected] of cases) t.equal(shiftDate(value, days), expected, `${JSON.stringify(value)} ${days > 0 ? '+' : ''}${days}`)
  for (const days of [0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) t.throws(() => shiftDate('20200101', days), PROFILE_INVALID)
})

t.test('shiftDate: agrees with UTC Date arithmetic and undoes itself', async (t) => {
  const date = fc.date({ min: new Date(Date.UTC(100, 0, 1)), max: new Date(Date.UTC(9899, 11, 31)), noInvalidDate: true })
  fc.assert(fc.property(date, fc.integer({ min: -36500, max: 36500 }), (d, days) => {
    const value = da(d)
    const shifted = shiftDate(value, days)
    return shifted === da(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) + days * DAY_MS)) &&
      shiftDate(shifted, -days) === value
  }), { numRuns: 5000 })
  t.pass('5000 random dates and shifts')
})

t.test('shiftDateTime: DT values, date part only', async (t) => {
  const cases: readonly (readonly [string, number, string | undefined])[] = [
    ['20200101120000.123456+0100', 1, '20200102120000.123456+0100'],
    ['20201231235959.9-0500', 1, '20210101235959.9-0500'], // time and offset kept as written
    ['20200229', 1, '20200301'],
    ['2020022912', 1, '2020030112'],
    ['202002291230', -1, '202002281230'],
    ['20200229123060', 0, '20200229123060'], // leap second
    ['20200101+0000', -1, '20191231+0000'],
    ['20200101-0500', -1, '20191231-0500'], // a value with an offset, not a range
    // Year and month precision: moved from the middle of the period, precision kept.
    ['2020', -1, '2020'],
    ['2020', -183, '2020'], // 2020-07-02 is day 184 of 2020
    ['2020', -184, '2019'],
    ['2020', 182, '2020'],
    ['2020', 183, '2021'],
    ['2020-0500', -1, '2020-0500'], // 2020 at UTC-05:00
    ['202003', -1, '202003'],
    ['202003', -16, '202002'],
    ['202003', 15, '202003'],
    ['202003', 16, '202004'],
    ['202003+0100', -30, '202002+0100'],
    ['', 1, ''],
    ['20200101 ', 1, '20200102'],
    ['20200101-20200201', 1, '20200102-20200202'], // ranges
    ['2019-2020', 365, '2020-2021'],
    ['20200101120000-0500-20200102120000-0500', 1, '20200102120000-0500-20200103120000-0500'],
    ['-20200101', 1, '-20200102'],
    ['20200101-', 1, '20200102-'],
    ['-', 1, undefined],
    ['202', 1, undefined],
    ['2020013', 1, undefined],
    ['20201301', 1, undefined],
    ['20200230', 1, undefined],
    ['202000', 1, undefined],
    ['20200101240000', 1, undefined],
    ['20200101126000', 1, undefined],
    ['20200101120061', 1, undefined],
    ['20200101120000.', 1, undefined],
    ['20200101120000.1234567', 1, undefined],
    ['20200101120000+1500', 1, undefined], // offsets run from -1200 to +1400
    ['20200101120000+1300', 1, '20200102120000+1300'],
    // -13:00 is no offset, so the dash is a range to the year 1300 (PS3.5 grammar; a single value is tried first).
    ['20200101120000-1300', 1, '20200102120000-1300'],
    ['20200101120000+1260', 1, undefined],
    ['20200101120000+14', 1, undefined],
    ['2020-01-01T12:00:00Z', 1, undefined],
    ['9999', 1, '9999'],
    ['99991231', 1, undefined]
  ]
  for (const [value, days, expected] of cases) t.equal(shiftDateTime(value, days), expected, `${JSON.stringify(value)} ${days}`)
  t.throws(() => shiftDateTime('2020', 1.5), PROFILE_INVALID)
  fc.assert(fc.property(fc.integer({ min: 1000, max: 8999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }),
    fc.constantFrom('', '12', '1230', '123059', '123059.5', '123059.123456'), fc.constantFrom('', '+0100', '-0500', '+1400'),
    fc.integer({ min: -3652, max: 3652 }), (y, m, d, time, offset, days) => {
      const date = `${y}${String(m).padStart(2, '0')}${String(d).padStart(2, '0')}`
      const shifted = shiftDateTime(`${date}${time}${offset}`, days)
      return shifted === `${shiftDate(date, days) ?? 'x'}${time}${offset}` && shiftDateTime(shifted, -days) === `${date}${time}${offset}`
    }), { numRuns: 2000 })
})

t.test('year-only values (the Y action)', async (t) => {
  const dates: readonly (readonly [string, string | undefined])[] = [
    ['19700315', '19700101'], ['2020.12.31', '20200101'], [' 20200229 ', '20200101'], ['', ''],
    ['20200101-20220615', '20200101-20221231'], ['-20220615', '-20221231'], ['20200301-', '20200101-'],
    ['20200230', undefined], ['2020', undefined], ['20200101120000', undefined], ['x', undefined]
  ]
  for (const [value, expected] of dates) t.equal(yearOnlyDate(value), expected, `DA ${JSON.stringify(value)}`)
  const dateTimes: readonly (readonly [string, string | undefined])[] = [
    ['20200315123000.5+0100', '2020'], ['2020', '2020'], ['202003', '2020'], ['2020-0500', '2020'], ['', ''],
    ['20200101-20220615', '2020-2022'], ['-2022', '-2022'], ['20201301', undefined], ['20', undefined]
  ]
  for (const [value, expected] of dateTimes) t.equal(yearOnlyDateTime(value), expected, `DT ${JSON.stringify(value)}`)
})

t.test('capAge: ages of 90 years and more become 090Y (45 CFR 164.514(b)(2)(i)(C))', async (t) => {
  const cases: readonly (readonly [string, string | undefined])[] = [
    ['000D', '000D'], ['006D', '006D'], ['999D', '999D'], ['052W', '052W'], ['999W', '999W'],
    ['011M', '011M'], ['999M', '999M'], // 999 months is 83 years
    ['001Y', '001Y'], ['045Y', '045Y'], ['089Y', '089Y'],
    ['090Y', '090Y'], ['091Y', '090Y'], ['105Y', '090Y'], ['999Y', '090Y'],
    ['089Y ', '089Y'], ['', ''], [' ', ''],
    ['45Y', undefined], ['045', undefined], ['045y', undefined], ['045 Y', undefined], ['0450Y', undefined],
    ['-45Y', undefined], ['045A', undefined], ['ABCY', undefined]
  ]
  for (const [value, expected] of cases) t.equal(capAge(value), expected, JSON.stringify(value))
  fc.assert(fc.property(fc.integer({ min: 0, max: 999 }), fc.constantFrom('D', 'W', 'M', 'Y'), (n, unit) => {
    const value = `${String(n).padStart(3, '0')}${unit}`
    const out = capAge(value)
    return unit === 'Y' && n >= 90 ? out === '090Y' : out === value
  }))
})
