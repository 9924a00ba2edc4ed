/**
 * Test helpers around the parser: feed bytes in chunks of a given size, inflate deflated
 * datasets, and reduce a token stream to a digest that ignores chunk boundaries.
 */
import { createHash } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import zlib from 'node:zlib'
import { DicomParser, type ParserOptions } from '../../src/dicom/parser.js'
import type { Token } from '../../src/dicom/tokens.js'

/** Parses `bytes` fed in pieces of `chunkSize` (0: whole). Deflated datasets are inflated. */
export function parseInChunks (bytes: Uint8Array, chunkSize: number, options: ParserOptions = {}): Token[] {
  const tokens: Token[] = []
  const parser = new DicomParser({ token: (t) => { tokens.push(t) } }, options)
  const size = chunkSize === 0 ? Math.max(bytes.length, 1) : chunkSize
  let deflated: Uint8Array[] | null = null
  for (let i = 0; i < bytes.length; i += size) {
    const piece = bytes.subarray(i, i + size)
    if (deflated !== null) {
      deflated.push(piece)
      continue
    }
    const rest = parser.write(piece)
    if (rest !== undefined) deflated = [rest]
  }
  if (deflated !== null) {
    const inflated = zlib.inflateRawSync(Buffer.concat(deflated))
    for (let i = 0; i < inflated.length; i += size) parser.write(inflated.subarray(i, i + size))
  }
  parser.end()
  return tokens
}

/**
 * A digest of a token stream that does not depend on how values were split into chunks:
 * consecutive value chunks are hashed as one run.
 */
export function tokenDigest (tokens: readonly Token[]): string {
  const h = createHash('sha256')
  for (const t of tokens) {
    switch (t.type) {
      case 'value-chunk': h.update(t.bytes); break
      case 'element': h.update(`|element ${t.tag} ${t.vr} ${t.value.length}:`); h.update(t.value); break
      case 'preamble': h.update('|preamble:'); h.update(t.bytes); break
      case 'dataset': h.update(`|dataset ${t.transferSyntax.uid} ${t.source}`); break
      default: h.update(`|${JSON.stringify(t)}`)
    }
  }
  return h.digest('hex')
}

/** The bytes of a DICOM file with its deflated dataset (if any) inflated. */
export function inflateDicom (bytes: Uint8Array): Buffer {
  const parser = new DicomParser({ token: () => {} })
  const rest = parser.write(bytes)
  if (rest === undefined) return Buffer.from(bytes)
  const head = bytes.subarray(0, bytes.length - rest.length)
  return Buffer.concat([head, zlib.inflateRawSync(rest)])
}

/**
 * Feeds `bytes` to a chunk transform the way the CLI does: each piece is copied into one of
 * two buffers used in turn, so a view kept past the next call would see other bytes. The
 * output is copied as it comes. Null when the transform declines (a deflated dataset).
 */
export function chunkTransformReusingBuffers (transform: { write: (chunk: Uint8Array) => Uint8Array[] | null, end: () => Uint8Array[] }, bytes: Uint8Array, size: number): Buffer | null {
  const buffers = [Buffer.alloc(size), Buffer.alloc(size)] as const
  const out: Buffer[] = []
  for (let offset = 0, turn = 0; offset < bytes.length; offset += size, turn ^= 1) {
    const buffer = buffers[turn] as Buffer
    const piece = bytes.subarray(offset, offset + size)
    buffer.fill(0xee)
    buffer.set(piece)
    const written = transform.write(buffer.subarray(0, piece.length))
    if (written === null) return null
    for (const chunk of written) out.push(Buffer.from(chunk))
  }
  for (const chunk of transform.end()) out.push(Buffer.from(chunk))
  return Buffer.concat(out)
}

let dcmdumpPresent: boolean | undefined
export function hasDcmdump (): boolean {
  dcmdumpPresent ??= spawnSync('dcmdump', ['--version'], { stdio: 'ignore' }).status === 0
  return dcmdumpPresent
}

/** Whether dcmtk's dcmdump parses the file without error (exit status 0). */
export function dcmdumpParses (path: string): boolean {
  return spawnSync('dcmdump', ['-q', path], { stdio: 'ignore' }).status === 0
}
