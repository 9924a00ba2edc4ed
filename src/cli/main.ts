/**
 * The dicomgate command line: a small router. Each command is one module exporting a
 * `Command`, loaded only when it runs (start-up is part of every run's time, and `deid`
 * starts its worker threads before it loads the engine); adding one (start, keys, certs,
 * token) is one entry in COMMANDS.
 *
 * Exit status: 0 success; 1 the input could not be processed (a DicomgateError: its code
 * and message go to stderr, and carry no PHI); 2 a usage error; 70 (EX_SOFTWARE) an
 * unexpected internal error.
 *
 * Standard streams are injected (`CliIO`) so that tests run commands in-process.
 */
import { readFileSync } from 'node:fs'
import type { Readable, Writable } from 'node:stream'
import { UsageError, isDicomgateError } from '../errors.js'
import { EXIT_FAILURE, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, printable } from './common.js'

export interface CliIO {
  readonly stdin: Readable
  readonly stdout: Writable
  readonly stderr: Writable
}

export interface Command {
  /** The full help text (`dicomgate help NAME`, `dicomgate NAME --help`). */
  readonly help: string
  /**
   * Runs the command; throws UsageError for a bad command line, DicomgateError for bad
   * input. May resolve to an exit status (e.g. 1 when some of many inputs were rejected and
   * the command has reported them itself).
   */
  run (args: readonly string[], io: CliIO): Promise<number | undefined>
}

export { EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERNAL, printable } from './common.js'

interface CommandEntry {
  readonly name: string
  /** One line for the command list. */
  readonly summary: string
  readonly load: () => Promise<Command>
}

const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'deid',
    summary: 'de-identify DICOM files and folders with a profile (PS3.15 Annex E)',
    load: async () => (await import('./deid.js')).deidCommand
  },
  {
    name: 'dump',
    summary: 'print a DICOM file readably, or as DICOM JSON (--json)',
    load: async () => (await import('./dump.js')).dumpCommand
  },
  {
    name: 'keys',
    summary: 'create the pseudonymization secret and the re-identification key pair (keys init)',
    load: async () => (await import('./keys.js')).keysCommand
  },
  {
    name: 'lookup',
    summary: 'print the original behind a pseudonym, from the mapping store (audited)',
    load: async () => (await import('./lookup.js')).lookupCommand
  },
  {
    name: 'profile',
    summary: 'list the de-identification profiles, or show what one compiles to',
    load: async () => (await import('./profile.js')).profileCommand
  },
  {
    name: 'reidentify',
    summary: 'restore the originals from the Encrypted Attributes Sequence, with the recipient key (audited)',
    load: async () => (await import('./reidentify.js')).reidentifyCommand
  }
]

async function findCommand (name: string): Promise<Command | undefined> {
  return await COMMANDS.find((c) => c.name === name)?.load()
}

/** The version in package.json (two levels up from both src/cli and dist/cli). */
export function version (): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8')
  const parsed: unknown = JSON.parse(text)
  if (typeof parsed === 'object' && parsed !== null && 'version' in parsed && typeof parsed.version === 'string') return parsed.version
  return 'unknown'
}

function generalHelp (): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length))
  return [
    `dicomgate ${version()}: DICOM de-identification gateway`,
    '',
    'Usage: dicomgate <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  -h, --help     show this help',
    '  -V, --version  show the version',
    '',
    'Run `dicomgate help <command>` for the options of a command.',
    ''
  ].join('\n')
}

function processIO (): CliIO {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }
}

/** Runs the command line `argv` (without node and the script); resolves to the exit status. */
export async function main (argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  try {
    return await route(argv, io) ?? EXIT_OK
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`dicomgate: ${err.code}: ${err.message}\nRun \`dicomgate --help\` for usage.\n`)
      return EXIT_USAGE
    }
    if (isDicomgateError(err)) {
      io.stderr.write(`dicomgate: ${err.code}: ${err.message}\n`)
      return EXIT_FAILURE
    }
    // Unknown errors may carry anything in their message: print only their kind.
    io.stderr.write(`dicomgate: internal error (${err instanceof Error ? err.name : typeof err}); please report it\n`)
    return EXIT_INTERNAL
  }
}

async function route (argv: readonly string[], io: CliIO): Promise<number | undefined> {
  const [first, ...rest] = argv
  switch (first) {
    case undefined:
    case '-h':
    case '--help':
      io.stdout.write(generalHelp())
      return
    case '-V':
    case '--version':
      io.stdout.write(`${version()}\n`)
      return
    case 'help': {
      const name = rest[0]
      if (name === undefined) {
        io.stdout.write(generalHelp())
        return
      }
      const command = await findCommand(name)
      if (command === undefined) throw new UsageError(`no command "${printable(name)}"`)
      io.stdout.write(command.help)
      return
    }
    default: {
      if (first.startsWith('-')) throw new UsageError(`unknown option ${printable(first)}`)
      const command = await findCommand(first)
      if (command === undefined) throw new UsageError(`no command "${printable(first)}"`)
      return await command.run(rest, io)
    }
  }
}
