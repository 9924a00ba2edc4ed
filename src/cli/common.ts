/** What every command shares: exit statuses, how arguments are parsed and echoed. */

import { parseArgs } from 'node:util'
import { UsageError } from '../errors.js'

type ParseArgsOptionsConfig = NonNullable<Parameters<typeof parseArgs>[0]>['options'] & object

export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2
/** sysexits.h EX_SOFTWARE: a bug, not bad input. */
export const EXIT_INTERNAL = 70

/** An argument echoed in a message: short, and without control characters. */
export function printable (arg: string): string {
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  const clean = arg.replace(/[\u0000-\u001f\u007f]/g, '?')
  return clean.length > 40 ? `${clean.slice(0, 40)}…` : clean
}

/**
 * `parseArgs` as every command uses it (positionals allowed, unknown options refused), its
 * errors turned into a usage error that names the command (exit 2).
 */
export function parseCommandLine<const O extends ParseArgsOptionsConfig> (command: string, args: readonly string[], options: O): ReturnType<typeof parseArgs<{ args: string[], allowPositionals: true, strict: true, options: O }>> {
  try {
    return parseArgs({ args: [...args], allowPositionals: true, strict: true, options })
  } catch (err) {
    throw new UsageError(`${command}: ${err instanceof Error ? err.message.split('\n')[0] ?? 'invalid arguments' : 'invalid arguments'}`)
  }
}
