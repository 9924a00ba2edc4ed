/**
 * Whether a de-identified attribute shows the effect a test expects (test/helpers/
 * table-e1-1-oracle.ts), in either form (observed.ts). Independent of the engine but for
 * the keyed derivations it must reproduce: keyedUid, keyedPseudonym (src/pseudonym/keys.ts).
 */
import { keyedPseudonym, keyedUid, type DeidKeys } from '../../src/pseudonym/keys.js'
import type { Observed } from './observed.js'
import type { Expected } from './table-e1-1-oracle.js'

export interface CheckContext {
  readonly keys: DeidKeys
  /** The attribute each item of a sequence row holds, which must stay: tag key and value. */
  readonly itemAttribute: { readonly key: string, readonly value: string }
  /** Day offsets seen on shifted dates of the instance, for the caller to compare. */
  readonly offsets: number[]
}

const HASH = '[0-9A-HJKMNP-TV-Z]'
function formatPattern (format: string): RegExp {
  const body = format.split(/(\{hash:\d+\})/).map((part) => {
    const m = /^\{hash:(\d+)\}$/.exec(part)
    return m === null ? part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : `${HASH}{${m[1] ?? ''}}`
  }).join('')
  return new RegExp(`^${body}$`)
}

function validDate (s: string): boolean {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(s)
  if (m === null) return false
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])))
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3])
}

const dayNumber = (s: string): number => Date.UTC(Number(s.slice(0, 4)), Number(s.slice(4, 6)) - 1, Number(s.slice(6, 8))) / 86_400_000

/** PS3.5 §6.2 Table 6.2-1, enough to tell a dummy value valid for its VR. */
const VALID: Readonly<Record<string, (s: string) => boolean>> = {
  AE: (s) => s.length <= 16 && !s.includes('\\'),
  AS: (s) => /^\d{3}[DWMY]$/.test(s),
  CS: (s) => /^[A-Z0-9 _]{1,16}$/.test(s),
  DA: validDate,
  DS: (s) => s.length <= 16 && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s),
  DT: (s) => /^\d{4}(\d{2}(\d{2}(\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?)?)?)?([+-]\d{4})?$/.test(s),
  IS: (s) => s.length <= 12 && /^[+-]?\d+$/.test(s),
  LO: (s) => s.length <= 64,
  PN: (s) => s.split('=').every((g) => g.length <= 64),
  SH: (s) => s.length <= 16,
  ST: (s) => s.length <= 1024,
  TM: (s) => /^([01]\d|2[0-3])([0-5]\d([0-5]\d(\.\d{1,6})?)?)?$/.test(s),
  UI: (s) => s.length <= 64 && /^(0|[1-9]\d*)(\.(0|[1-9]\d*))+$/.test(s),
  UR: (s) => !/\s/.test(s)
}

function describe (o: Observed | undefined): string {
  if (o === undefined) return 'absent'
  if (o.kind === 'sequence') return `a sequence of ${o.items.length} item(s)`
  if (o.empty) return 'empty'
  return o.strings !== null ? JSON.stringify(o.strings) : o.repr.slice(0, 40)
}

/** Why `output` is not what `expected` says of `input`, or null when it is. */
export function mismatch (expected: Expected, input: Observed, output: Observed | undefined, ctx: CheckContext): string | null {
  const fail = (what: string): string => `expected ${what} (${expected.why}), got ${describe(output)}`
  if (expected.effect === 'X') return output === undefined ? null : fail('absent')
  if (output === undefined) return fail(expected.effect === 'Z' ? 'present, empty' : 'present')
  if (input.kind === 'sequence') {
    if (output.kind !== 'sequence') return fail('a sequence')
    if (expected.effect === 'Z') return output.items.length === 0 ? null : fail('a sequence without items')
    const item = output.items[0]?.get(ctx.itemAttribute.key)
    const kept = output.items.length === input.items.length && item?.kind === 'value' && item.strings?.[0] === ctx.itemAttribute.value
    return kept ? null : fail(`the sequence kept, its item cleaned (${ctx.itemAttribute.key} kept)`)
  }
  if (output.kind !== 'value') return fail('a value')
  const inStrings = input.strings ?? []
  const outStrings = output.strings ?? []
  const same = input.strings !== null ? JSON.stringify(inStrings) === JSON.stringify(outStrings) : input.repr === output.repr
  switch (expected.effect) {
    case 'Z': return output.empty ? null : fail('present, empty')
    case 'K': case 'CLEAN': return same ? null : fail(expected.effect === 'K' ? 'unchanged' : 'cleaned: this clean input unchanged')
    case 'D': {
      if (output.empty || same) return fail('a dummy value, not the input')
      const valid = VALID[output.vr]
      return valid === undefined || outStrings.every(valid) ? null : fail(`a dummy value valid for ${output.vr}`)
    }
    case 'U': {
      const ok = outStrings.length === inStrings.length && outStrings.every((s, i) => /^2\.25\.[1-9]\d*$/.test(s) && s.length <= 64 && s !== inStrings[i] && s === keyedUid(ctx.keys, inStrings[i] ?? ''))
      return ok ? null : fail('keyedUid of the input (2.25.…)')
    }
    case 'P': {
      const format = expected.format ?? '{hash:16}'
      const pattern = formatPattern(format)
      const ok = outStrings.length === inStrings.length && outStrings.every((s, i) => pattern.test(s) && s !== inStrings[i] && s === keyedPseudonym(ctx.keys, inStrings[i] ?? '', format))
      return ok ? null : fail(`a keyed pseudonym ${format}`)
    }
    case 'Y': {
      const want = inStrings.map((s) => (output.vr === 'DA' ? `${s.slice(0, 4)}0101` : s.slice(0, 4)))
      return JSON.stringify(want) === JSON.stringify(outStrings) ? null : fail(`the year only ${JSON.stringify(want)}`)
    }
    case 'SHIFT': {
      if (output.vr === 'TM') return same ? null : fail('TM kept under a date shift')
      const s = outStrings[0] ?? ''
      const i = inStrings[0] ?? ''
      if (outStrings.length !== 1 || !validDate(s.slice(0, 8)) || s.slice(8) !== i.slice(8)) return fail('the date shifted, the time kept')
      ctx.offsets.push(dayNumber(s) - dayNumber(i))
      return null
    }
  }
}
