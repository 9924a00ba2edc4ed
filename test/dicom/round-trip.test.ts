/**
 * Must show 2 and 3 of the codec issue: every file that dcmtk parses is read and written
 * back byte-identical (deflated: identical after inflation), through the one-shot and the
 * stream forms; and the parser yields the same tokens whatever the chunk size.
 */
import { readFileSync } from 'node:fs'
import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import t, { type Test } from 'tap'
import { isDicomgateError } from '../../src/errors.js'
import { createDicomTransform, DicomChunkTransform, readTokens, transformBuffer, writeTokens } from '../../src/dicom/stream.js'
import { corpusEntries, corpusSkip, fixtureEntries, type CorpusEntry } from '../helpers/corpus.js'
import { chunkTransformReusingBuffers, dcmdumpParses, hasDcmdump, inflateDicom, parseInChunks, tokenDigest } from '../helpers/tokens.js'

const CHUNK_SIZES = [1, 7, 64, 65536, 0] as const
/** Feeding a byte at a time is slow in a test; files up to this size get it. */
const ONE_BYTE_CHUNKS_MAX_SIZE = 1 << 20

/** Which files must round-trip: those dcmdump parses; without dcmtk, those not noted malformed. */
function mustParse (entry: CorpusEntry): boolean {
  if (hasDcmdump()) return dcmdumpParses(entry.absolutePath)
  return !/malformed|dcmdump reports error/.test(entry.notes)
}

async function streamRoundTrip (bytes: Buffer, chunkSize: number): Promise<Buffer> {
  const pieces: Buffer[] = []
  for (let i = 0; i < bytes.length; i += chunkSize) pieces.push(bytes.subarray(i, i + chunkSize))
  return buffer(Readable.from(pieces).pipe(createDicomTransform()))
}

function checkFile (t: Test, entry: CorpusEntry): void {
  t.test(entry.path, async (t) => {
    const bytes = readFileSync(entry.absolutePath)
    const expected = inflateDicom(bytes)
    const out = writeTokens(readTokens(bytes))
    t.ok(inflateDicom(out).equals(expected), 'one-shot read+write is byte-identical (after inflation)')

    t.ok(inflateDicom(Buffer.concat(transformBuffer(bytes))).equals(expected), 'whole-buffer transform is byte-identical (after inflation)')

    const streamed = await streamRoundTrip(bytes, 65536)
    t.ok(inflateDicom(streamed).equals(expected), 'stream read+write is byte-identical (after inflation)')

    const reference = tokenDigest(parseInChunks(bytes, 0))
    for (const size of CHUNK_SIZES) {
      if (size === 0 || (size === 1 && bytes.length > ONE_BYTE_CHUNKS_MAX_SIZE)) continue
      t.equal(tokenDigest(parseInChunks(bytes, size)), reference, `same tokens in chunks of ${size}`)
    }
    const streamed7 = await streamRoundTrip(bytes, 7)
    t.ok(inflateDicom(streamed7).equals(expected), 'stream output is the same in 7-byte chunks')

    // The synchronous form, fed from two read buffers used in turn (as the CLI does).
    for (const size of [7, 65536]) {
      const chunked = chunkTransformReusingBuffers(new DicomChunkTransform(), bytes, size)
      if (chunked === null) t.notOk(inflateDicom(bytes).equals(bytes), 'the chunk form declines only deflated datasets')
      else t.ok(chunked.equals(expected), `chunk form with reused ${size}-byte buffers is byte-identical`)
    }
  })
}

/** Files dcmtk rejects: dicomgate must either read them or fail with a typed error. */
function checkRejectedFile (t: Test, entry: CorpusEntry): void {
  t.test(`${entry.path} (dcmtk rejects it)`, async (t) => {
    const bytes = readFileSync(entry.absolutePath)
    try {
      const out = writeTokens(readTokens(bytes))
      t.ok(inflateDicom(out).equals(inflateDicom(bytes)), 'read without error, so it must round-trip')
    } catch (err) {
      t.ok(isDicomgateError(err), `typed error ${isDicomgateError(err) ? err.code : String(err)}`)
    }
  })
}

t.test('project fixtures', async (t) => {
  const fixtures = fixtureEntries()
  t.ok(fixtures.length > 0, 'fixtures are present')
  for (const entry of fixtures) {
    if (!mustParse(entry)) checkRejectedFile(t, entry)
    else checkFile(t, entry)
  }
})

t.test('shared corpus', { skip: corpusSkip }, async (t) => {
  if (!hasDcmdump()) t.comment('dcmdump not installed: using MANIFEST notes to tell malformed files')
  for (const entry of corpusEntries()) {
    if (mustParse(entry)) checkFile(t, entry)
    else checkRejectedFile(t, entry)
  }
})
