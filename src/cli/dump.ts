/**
 * `dicomgate dump [--json] FILE|-`: prints a DICOM file (or standard input) readably, like
 * dcmdump, or as the DICOM JSON model of PS3.18 §F.2.
 *
 * Both stream: the file is read in chunks through the codec's reader; the text dump writes
 * its lines as they come (honouring backpressure on stdout), the JSON builder keeps the
 * attributes but not the bulk data. A 500 MB file dumps in bounded memory.
 *
 * On bad input the text dump has already printed what came before the error: it ends with
 * a comment line saying so, then the error goes to stderr. The JSON form prints nothing
 * unless the whole input was read, so a partial JSON never looks complete.
 */
import { createReadStream } from 'node:fs'
import { once } from 'node:events'
import type { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { DicomgateError, UsageError, isDicomgateError } from '../errors.js'
import { DicomDumper } from '../dicom/dump.js'
import { DicomJsonBuilder, stringifyDicomJson } from '../dicom/json.js'
import { createReader } from '../dicom/stream.js'
import type { Token, TokenSink } from '../dicom/tokens.js'
import { parseCommandLine } from './common.js'
import type { CliIO, Command } from './main.js'

/** Output is written in pieces of about this size: fewer, larger writes to stdout. */
const OUTPUT_CHUNK_CHARS = 64 * 1024
const JSON_INDENT = 2

const HELP = `Usage: dicomgate dump [options] FILE
       dicomgate dump [options] -        (read standard input)

Prints a DICOM file: one line per element, like dcmtk's dcmdump, or with --json
the DICOM JSON model of PS3.18 F.2. The file is streamed, whatever its size.

Options:
  --json          print DICOM JSON: binary values over 1 KiB are left out as
                  "BulkDataURI": "bulkdata:<tag path>" placeholders
  --include-meta  with --json: include the file meta information (group 0002)
  -h, --help      show this help

Exit status: 0 done; 1 the input is not readable DICOM (the error code is
printed on stderr; a text dump printed so far ends with a line saying so);
2 usage error.
`

export const dumpCommand: Command = {
  help: HELP,
  run
}

interface DumpArgs {
  readonly path: string
  readonly json: boolean
  readonly includeMeta: boolean
}

function parse (args: readonly string[]): DumpArgs | 'help' {
  // parseArgs explains the problem (unknown option, missing value) without echoing data.
  const { values, positionals } = parseCommandLine('dump', args, {
    json: { type: 'boolean', default: false },
    'include-meta': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false }
  })
  if (values.help) return 'help'
  if (positionals.length !== 1) throw new UsageError('dump takes one FILE, or - for standard input')
  if (values['include-meta'] && !values.json) throw new UsageError('--include-meta applies to --json only')
  return { path: positionals[0] as string, json: values.json, includeMeta: values['include-meta'] }
}

async function run (args: readonly string[], io: CliIO): Promise<undefined> {
  const options = parse(args)
  if (options === 'help') {
    io.stdout.write(HELP)
    return
  }
  // When stdout fails (EPIPE: `dicomgate dump big.dcm | head` closed it), stop reading.
  const stdoutFailed = new AbortController()
  const onError = (err: unknown): void => { stdoutFailed.abort(err) }
  io.stdout.on('error', onError)
  try {
    const input: Readable = options.path === '-' ? io.stdin : createReadStream(options.path)
    const output = new Output(io.stdout, stdoutFailed.signal)
    await (options.json ? dumpJson(input, output, options) : dumpText(input, output, stdoutFailed.signal))
  } catch (err) {
    if (!stdoutFailed.signal.aborted) throw err
    const code = errorCode(stdoutFailed.signal.reason)
    // The reader of our output went away: that ends the dump, and is not an error.
    if (code === 'EPIPE') return
    throw new DicomgateError('DG_IO', `cannot write the output (${code})`, { cause: stdoutFailed.signal.reason })
  } finally {
    io.stdout.off('error', onError)
  }
}

async function dumpJson (input: Readable, output: Output, options: DumpArgs): Promise<void> {
  const builder = new DicomJsonBuilder({ includeFileMeta: options.includeMeta })
  await readInto(input, builder, output)
  output.add(stringifyDicomJson(builder.result(), JSON_INDENT))
  output.add('\n')
  await output.flush()
}

async function dumpText (input: Readable, output: Output, signal: AbortSignal): Promise<void> {
  const dumper = new DicomDumper((line) => { output.add(`${line}\n`) })
  try {
    await readInto(input, dumper, output, signal)
  } catch (err) {
    if (signal.aborted || !output.used) throw err
    const code = isDicomgateError(err) ? err.code : 'error'
    output.add(`# dicomgate: the dump stopped at an error (${code}): what is above is incomplete\n`)
    await output.flush().catch(() => {})
    throw err
  }
  await output.flush()
}

/** Streams `input` through the reader into `sink`, writing what the sink produced as it goes. */
async function readInto (input: Readable, sink: TokenSink, output: Output, signal?: AbortSignal): Promise<void> {
  try {
    await pipeline(input, createReader(), async (tokens: AsyncIterable<Token>) => {
      for await (const token of tokens) {
        sink.token(token)
        await output.flushIfFull()
      }
    }, signal === undefined ? {} : { signal })
  } catch (err) {
    if (isDicomgateError(err) || signal?.aborted === true) throw err
    // The input could not be read (no such file, a directory, no permission). The path is
    // left out: the user knows it, and logs should not learn it.
    throw new DicomgateError('DG_IO', `cannot read the input (${errorCode(err)})`, { cause: err })
  }
}

function errorCode (err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : 'unknown'
}

/** Collects output text and writes it in large pieces, waiting for 'drain' when told to. */
class Output {
  readonly #stream: Writable
  readonly #signal: AbortSignal
  #pending: string[] = []
  #size = 0
  /** Whether anything was added (and so may have been printed). */
  used = false

  constructor (stream: Writable, signal: AbortSignal) {
    this.#stream = stream
    this.#signal = signal
  }

  add (text: string): void {
    this.used = true
    this.#pending.push(text)
    this.#size += text.length
  }

  async flushIfFull (): Promise<void> {
    if (this.#size >= OUTPUT_CHUNK_CHARS) await this.flush()
  }

  async flush (): Promise<void> {
    if (this.#size === 0) return
    const text = this.#pending.join('')
    this.#pending = []
    this.#size = 0
    if (this.#signal.aborted) throw this.#signal.reason
    if (!this.#stream.write(text)) await once(this.#stream, 'drain', { signal: this.#signal })
  }
}
