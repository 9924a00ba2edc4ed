/** What every command shares: exit statuses and how arguments are echoed. */

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
