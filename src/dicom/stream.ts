/**
 * Node.js stream forms of the codec, and one-shot forms for small inputs.
 *
 * - `createReader()`  bytes → tokens (object mode)
 * - `createWriter()`  tokens → bytes
 * - `createDicomTransform({ map })`  bytes → tokens → map → tokens → bytes in one stream:
 *   the fast path, with no object-mode queue between the parser and the writer.
 *
 * Deflated datasets (PS3.5 §A.5) are inflated and deflated here with zlib's raw streams,
 * so the parser and writer stay synchronous. Inflation is bounded by
 * `limits.maxInflatedLength` (a deflate bomb is DG_DICOM_DEFLATE_BOMB).
 *
 * Errors: every failure ends the stream with a DicomError; output already handed on is by
 * then incomplete, and the stream is destroyed, so a consumer never sees a clean end.
 */

import { Buffer } from 'node:buffer'
import { Transform, type TransformCallback } from 'node:stream'
import zlib from 'node:zlib'
import { DicomError, isDicomgateError } from '../errors.js'
import { resolveLimits, type CodecLimits } from './limits.js'
import { DicomParser, type ParserOptions } from './parser.js'
import type { Token, TokenSink } from './tokens.js'
import { DicomWriter, type ByteSink, type WriterOptions } from './writer.js'

export interface CodecOptions extends ParserOptions, WriterOptions {}

/**
 * A token transform: receives each token with the sink to pass tokens on to. It may pass
 * the token on, drop it, replace it or add tokens, synchronously.
 */
export type TokenMapper = (token: Token, next: TokenSink) => void

/**
 * A stateful token transform (the de-identification engine): built around the sink it
 * passes tokens to, told when the input ended so that it can emit what it held back.
 */
export interface TokenStage extends TokenSink {
  end? (): void
}

export interface DicomTransformOptions extends CodecOptions {
  /** A stateless transform; ignored when `stage` is given. */
  readonly map?: TokenMapper
  /** Builds a stateful transform around the writer, once per stream. */
  readonly stage?: (next: TokenSink) => TokenStage
}

/**
 * What the parser feeds: the stage, the mapper, or the writer itself; and what to call when
 * the input ended, before the writer ends.
 */
function pipeline (options: DicomTransformOptions, writer: DicomWriter): { sink: TokenSink, end: () => void } {
  if (options.stage !== undefined) {
    const stage = options.stage(writer)
    return { sink: stage, end: () => { stage.end?.() } }
  }
  const map = options.map
  return { sink: map === undefined ? writer : { token: (t) => { map(t, writer) } }, end: () => {} }
}

/** Feeds raw bytes to a parser, inflating the dataset when the file meta says so. */
class ParserInput {
  readonly #parser: DicomParser
  readonly #limits: CodecLimits
  readonly #fail: (err: Error) => void
  #inflater: zlib.InflateRaw | null = null
  /** zlib emits 'end' as soon as the deflate stream is complete, before `end()` is called. */
  #inflateEnded = false
  #inflated = 0
  #failed = false

  constructor (sink: TokenSink, options: ParserOptions, fail: (err: Error) => void) {
    this.#parser = new DicomParser(sink, options)
    this.#limits = resolveLimits(options.limits)
    this.#fail = (err) => {
      if (this.#failed) return
      this.#failed = true
      this.#inflater?.destroy()
      fail(err)
    }
  }

  write (chunk: Uint8Array, done: TransformCallback): void {
    if (this.#failed) return
    if (this.#inflater !== null) {
      // Bytes after the end of the deflate stream are not part of the dataset: they are
      // never parsed, so never passed on.
      if (this.#inflateEnded) done()
      else this.#inflater.write(chunk, () => { if (!this.#failed) done() })
      return
    }
    let rest: Uint8Array | undefined
    try {
      rest = this.#parser.write(chunk)
    } catch (err) {
      this.#fail(asError(err))
      return
    }
    if (rest === undefined) {
      done()
      return
    }
    const inflater = this.#startInflate()
    if (rest.length === 0) done()
    else inflater.write(rest, () => { if (!this.#failed) done() })
  }

  end (done: TransformCallback): void {
    if (this.#failed) return
    const finish = (): void => {
      if (this.#failed) return
      try {
        this.#parser.end()
      } catch (err) {
        this.#fail(asError(err))
        return
      }
      done()
    }
    const inflater = this.#inflater
    if (inflater === null || this.#inflateEnded) {
      finish()
      return
    }
    inflater.once('end', finish)
    inflater.end()
  }

  #startInflate (): zlib.InflateRaw {
    const inflater = zlib.createInflateRaw()
    this.#inflater = inflater
    inflater.on('data', (bytes: Buffer) => {
      if (this.#failed) return
      this.#inflated += bytes.length
      if (this.#inflated > this.#limits.maxInflatedLength) {
        this.#fail(new DicomError('DG_DICOM_DEFLATE_BOMB', `the deflated dataset inflates past ${this.#limits.maxInflatedLength} bytes`))
        return
      }
      try {
        this.#parser.write(bytes)
      } catch (err) {
        this.#fail(asError(err))
      }
    })
    inflater.once('end', () => { this.#inflateEnded = true })
    inflater.on('error', (err) => {
      this.#fail(new DicomError('DG_DICOM_DEFLATE_INVALID', 'the deflated dataset is not a valid deflate stream', { cause: err }))
    })
    return inflater
  }
}

/** Hands the writer's bytes to a push function, deflating the dataset when asked to. */
class WriterOutput implements ByteSink {
  readonly #push: (bytes: Uint8Array) => void
  readonly #fail: (err: Error) => void
  #deflater: zlib.DeflateRaw | null = null

  constructor (push: (bytes: Uint8Array) => void, fail: (err: Error) => void) {
    this.#push = push
    this.#fail = fail
  }

  write (bytes: Uint8Array): void {
    if (this.#deflater !== null) this.#deflater.write(bytes)
    else this.#push(bytes)
  }

  beginDeflate (): void {
    const deflater = zlib.createDeflateRaw()
    deflater.on('data', (bytes: Buffer) => { this.#push(bytes) })
    deflater.on('error', (err) => { this.#fail(err) })
    this.#deflater = deflater
  }

  /** Ends the writer, then calls back once every byte is out, or with the writer's error. */
  finish (writer: DicomWriter, callback: TransformCallback): void {
    try {
      writer.end()
    } catch (err) {
      callback(asError(err))
      return
    }
    this.end(() => { callback() })
  }

  /** Calls `done` once every byte is out (after the deflate stream finished, if any). */
  end (done: () => void): void {
    const deflater = this.#deflater
    if (deflater === null) {
      done()
      return
    }
    deflater.once('end', done)
    deflater.end()
  }

  destroy (): void {
    this.#deflater?.destroy()
  }
}

/** bytes → tokens. The readable side is in object mode. */
export class DicomReaderStream extends Transform {
  readonly #input: ParserInput

  constructor (options: ParserOptions = {}) {
    super({ readableObjectMode: true })
    this.#input = new ParserInput({ token: (t) => { this.push(t) } }, options, (err) => { this.destroy(err) })
  }

  override _transform (chunk: Uint8Array, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#input.write(chunk, callback)
  }

  override _flush (callback: TransformCallback): void {
    this.#input.end(callback)
  }
}

/** tokens → bytes. The writable side is in object mode. */
export class DicomWriterStream extends Transform {
  readonly #output: WriterOutput
  readonly #writer: DicomWriter

  constructor (options: WriterOptions = {}) {
    super({ writableObjectMode: true })
    this.#output = new WriterOutput((bytes) => { this.push(bytes) }, (err) => { this.destroy(err) })
    this.#writer = new DicomWriter(this.#output, options)
  }

  override _transform (token: Token, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.#writer.token(token)
    } catch (err) {
      callback(asError(err))
      return
    }
    callback()
  }

  override _flush (callback: TransformCallback): void {
    this.#output.finish(this.#writer, callback)
  }

  override _destroy (err: Error | null, callback: (error?: Error | null) => void): void {
    this.#output.destroy()
    callback(err)
  }
}

/**
 * bytes → bytes: parse, pass each token through `map` (default: unchanged), write. With no
 * `map`, the output is the input byte for byte (deflated datasets: after inflation).
 */
export class DicomTransformStream extends Transform {
  readonly #input: ParserInput
  readonly #writer: DicomWriter
  readonly #output: WriterOutput
  readonly #endStage: () => void

  constructor (options: DicomTransformOptions = {}) {
    super()
    const fail = (err: Error): void => { this.destroy(err) }
    this.#output = new WriterOutput((bytes) => { this.push(bytes) }, fail)
    const writer = new DicomWriter(this.#output, options)
    this.#writer = writer
    const { sink, end } = pipeline(options, writer)
    this.#endStage = end
    this.#input = new ParserInput(sink, options, fail)
  }

  override _transform (chunk: Uint8Array, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#input.write(chunk, callback)
  }

  override _flush (callback: TransformCallback): void {
    this.#input.end(() => {
      try {
        this.#endStage()
      } catch (err) {
        callback(asError(err))
        return
      }
      this.#output.finish(this.#writer, callback)
    })
  }

  override _destroy (err: Error | null, callback: (error?: Error | null) => void): void {
    this.#output.destroy()
    callback(err)
  }
}

export function createReader (options: ParserOptions = {}): DicomReaderStream {
  return new DicomReaderStream(options)
}

export function createWriter (options: WriterOptions = {}): DicomWriterStream {
  return new DicomWriterStream(options)
}

export function createDicomTransform (options: DicomTransformOptions = {}): DicomTransformStream {
  return new DicomTransformStream(options)
}

// ── one-shot forms, for small inputs and tests ──────────────────────────────────────

/** Parses a whole buffer into tokens (deflated datasets are inflated within the limit). */
export function readTokens (bytes: Uint8Array, options: ParserOptions = {}): Token[] {
  const tokens: Token[] = []
  const parser = new DicomParser({ token: (t) => { tokens.push(t) } }, options)
  const rest = parser.write(bytes)
  if (rest !== undefined) parser.write(inflateWhole(rest, resolveLimits(options.limits)))
  parser.end()
  return tokens
}

/** Writes tokens into one buffer (deflating the dataset when its syntax says so). */
export function writeTokens (tokens: Iterable<Token>, options: WriterOptions = {}): Buffer {
  const head: Uint8Array[] = []
  const body: Uint8Array[] = []
  let target = head
  const writer = new DicomWriter({
    write: (bytes) => { target.push(bytes) },
    beginDeflate: () => { target = body }
  }, options)
  for (const t of tokens) writer.token(t)
  writer.end()
  if (target === head) return Buffer.concat(head)
  return Buffer.concat([...head, zlib.deflateRawSync(Buffer.concat(body))])
}

/**
 * bytes → bytes for an input held whole (small files: no stream machinery per file). The
 * output comes as chunks, views where possible, ready for a vectored write; with no `map`
 * they are the input byte for byte (deflated datasets: after inflation).
 */
export function transformBuffer (bytes: Uint8Array, options: DicomTransformOptions = {}): Uint8Array[] {
  const head: Uint8Array[] = []
  const body: Uint8Array[] = []
  let target = head
  const writer = new DicomWriter({ write: (b) => { target.push(b) }, beginDeflate: () => { target = body } }, options)
  const stage = pipeline(options, writer)
  const parser = new DicomParser(stage.sink, options)
  const rest = parser.write(bytes)
  if (rest !== undefined) parser.write(inflateWhole(rest, resolveLimits(options.limits)))
  parser.end()
  stage.end()
  writer.end()
  if (target === head) return head
  return [...head, zlib.deflateRawSync(Buffer.concat(body))]
}

/**
 * bytes → bytes, synchronously, one chunk at a time: for a caller that reads and writes on
 * a thread of its own and reuses its read buffers (the CLI on large files), so memory stays
 * a few buffers whatever the file's size and however late the garbage collector runs.
 *
 * Each call returns the output so far, as chunks ready for a vectored write. They may be
 * views of the chunk, and the parser may keep a view of the chunk's tail until the next
 * call copies it: a read buffer may be reused once the *next* call has returned and the
 * output of both has been written (two buffers, alternating).
 *
 * Deflated datasets (PS3.5 §A.5) are not handled: inflating needs zlib's asynchronous
 * stream. `write` then returns null, and the caller starts over with the stream form.
 */
export class DicomChunkTransform {
  readonly #parser: DicomParser
  readonly #writer: DicomWriter
  readonly #endStage: () => void
  #out: Uint8Array[] = []
  #deflated = false

  constructor (options: DicomTransformOptions = {}) {
    this.#writer = new DicomWriter({
      write: (bytes) => { this.#out.push(bytes) },
      beginDeflate: () => { this.#deflated = true }
    }, options)
    const { sink, end } = pipeline(options, this.#writer)
    this.#endStage = end
    this.#parser = new DicomParser(sink, options)
  }

  /** The output of `chunk`, or null when the dataset is deflated (nothing more is parsed). */
  write (chunk: Uint8Array): Uint8Array[] | null {
    if (this.#parser.write(chunk) !== undefined || this.#deflated) return null
    return this.#take()
  }

  /** The last of the output; throws when the input ended early (DG_DICOM_TRUNCATED). */
  end (): Uint8Array[] {
    this.#parser.end()
    this.#endStage()
    this.#writer.end()
    return this.#take()
  }

  #take (): Uint8Array[] {
    const out = this.#out
    this.#out = []
    return out
  }
}

function inflateWhole (bytes: Uint8Array, limits: CodecLimits): Buffer {
  try {
    return zlib.inflateRawSync(bytes, { maxOutputLength: limits.maxInflatedLength })
  } catch (err) {
    if (err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DicomError('DG_DICOM_DEFLATE_BOMB', `the deflated dataset inflates past ${limits.maxInflatedLength} bytes`, { cause: err })
    }
    throw new DicomError('DG_DICOM_DEFLATE_INVALID', 'the deflated dataset is not a valid deflate stream', { cause: err })
  }
}

function asError (err: unknown): Error {
  if (isDicomgateError(err) || err instanceof Error) return err
  return new Error('non-error thrown')
}
