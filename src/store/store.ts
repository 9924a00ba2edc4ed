/**
 * The store itself, the same over either backend: mappings checked, sealed (cipher.ts),
 * coalesced into transactions (batch.ts), and remembered in an LRU so that a pseudonym
 * recorded or looked up recently is neither written again nor read from the database.
 *
 * The cache holds only what the database holds: mappings are added after their
 * transaction committed, or after a read; a pseudonym not found is not remembered, since
 * another process may record it at any moment.
 */
import { DicomgateError } from '../errors.js'
import type { StoreBackend } from './backend.js'
import { WriteBatcher, type BatchOptions, type Entry } from './batch.js'
import type { StoreCipher } from './cipher.js'
import { MAX_PSEUDONYM_LENGTH, STORE_CACHE_ENTRIES } from './defaults.js'
import { LruCache } from './lru.js'
import type { Mapping, MappingStore, StoreStats } from './types.js'

const MAX_KIND_LENGTH = 64

export interface StoreOptions extends BatchOptions {
  /** Mappings kept in memory; 0 sends every record() and lookup() to the database. */
  readonly cacheEntries?: number
}

const KEY_ID = /^[0-9a-f]{16}$/
/** Printable ASCII without space: a keyword, or a tag written as (gggg,eeee). */
const KIND = /^[\x21-\x7e]+$/
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

function invalid (index: number, what: string): TypeError {
  return new TypeError(`mapping ${index}: ${what}; nothing of this call was recorded`)
}

/** A frozen copy of a well-formed mapping, or a TypeError that names the field (never its value). */
function checkedMapping (value: unknown, index: number): Mapping {
  if (typeof value !== 'object' || value === null) throw invalid(index, 'not an object')
  const { pseudonym, original, kind, keyId } = value as Record<string, unknown>
  if (typeof pseudonym !== 'string' || pseudonym === '' || pseudonym.length > MAX_PSEUDONYM_LENGTH ||
      pseudonym.includes('\0') || LONE_SURROGATE.test(pseudonym)) {
    // NUL: PostgreSQL text cannot hold it; lone surrogates: no UTF-8 form, would not round-trip.
    throw invalid(index, `pseudonym must be a non-empty string of at most ${MAX_PSEUDONYM_LENGTH} characters, without NUL or lone surrogates`)
  }
  if (typeof original !== 'string' || LONE_SURROGATE.test(original)) {
    throw invalid(index, 'original must be a string without lone surrogates')
  }
  if (typeof kind !== 'string' || kind.length > MAX_KIND_LENGTH || !KIND.test(kind)) {
    throw invalid(index, `kind must be a DICOM keyword (printable ASCII, 1 to ${MAX_KIND_LENGTH} characters)`)
  }
  if (typeof keyId !== 'string' || !KEY_ID.test(keyId)) {
    throw invalid(index, 'keyId must be a DeidKeys fingerprint (16 lowercase hex digits)')
  }
  return Object.freeze({ pseudonym, original, kind, keyId })
}

function closed (): DicomgateError {
  return new DicomgateError('DG_STORE_UNAVAILABLE', 'the pseudonym store is closed')
}

export class SealedStore implements MappingStore {
  readonly #cipher: StoreCipher
  readonly #backend: StoreBackend
  readonly #cache: LruCache<string, Mapping>
  readonly #batcher: WriteBatcher
  /**
   * Mappings queued and not yet committed, with the promise of their batch: a caller that
   * records one again meanwhile (the study's UIDs, file after file) waits for that batch
   * instead of sealing and sending it a second time.
   */
  readonly #queued = new Map<string, { readonly original: string, readonly written: Promise<void> }>()
  /** Reads in flight, so that concurrent lookups of one pseudonym share one query. */
  readonly #reads = new Map<string, Promise<Mapping | undefined>>()
  #closing: Promise<void> | undefined
  #stats = { transactions: 0, inserted: 0, unchanged: 0, conflicts: 0, cacheHits: 0 }

  constructor (cipher: StoreCipher, backend: StoreBackend, options: StoreOptions = {}) {
    this.#cipher = cipher
    this.#backend = backend
    this.#cache = new LruCache(options.cacheEntries ?? STORE_CACHE_ENTRIES)
    this.#batcher = new WriteBatcher((rows) => backend.insert(rows), (outcome) => {
      this.#stats.transactions++
      this.#stats.inserted += outcome.inserted
      this.#stats.unchanged += outcome.unchanged
      this.#stats.conflicts += outcome.conflicts
      for (const mapping of outcome.stored) this.#cache.set(mapping.pseudonym, mapping)
    }, options)
  }

  async record (mappings: readonly Mapping[]): Promise<void> {
    if (this.#closing !== undefined) throw closed()
    if (!Array.isArray(mappings)) throw new TypeError('record() takes an array of mappings')
    const checked = mappings.map((m: unknown, i) => checkedMapping(m, i))
    const entries: Entry[] = []
    /** Mappings already on their way in another call's batch, and those batches. */
    const joined: Mapping[] = []
    const earlier = new Set<Promise<void>>()
    for (const mapping of checked) {
      // Only an identical mapping is skipped; a different original goes to the database,
      // which decides the conflict as for any other write.
      if (this.#cache.get(mapping.pseudonym)?.original === mapping.original) {
        this.#stats.unchanged++
        continue
      }
      const queued = this.#queued.get(mapping.pseudonym)
      if (queued?.original === mapping.original) {
        joined.push(mapping)
        earlier.add(queued.written)
        continue
      }
      entries.push({ mapping, row: this.#cipher.seal(mapping) })
    }
    const written = entries.length > 0 ? this.#write(entries) : undefined
    if (joined.length > 0) {
      // Another call's batch may fail for that call's own mappings (a conflict): what it
      // did not store, this call records itself.
      await Promise.allSettled(earlier)
      const missed = joined.filter((m) => this.#cache.get(m.pseudonym)?.original !== m.original)
      if (missed.length > 0) await this.record(missed)
    }
    await written
  }

  /** Queues sealed entries for the batcher, remembered until their batch settles. */
  #write (entries: readonly Entry[]): Promise<void> {
    const written = this.#batcher.write(entries)
    for (const { mapping } of entries) {
      if (!this.#queued.has(mapping.pseudonym)) this.#queued.set(mapping.pseudonym, { original: mapping.original, written })
    }
    const forget = (): void => {
      for (const { mapping } of entries) if (this.#queued.get(mapping.pseudonym)?.written === written) this.#queued.delete(mapping.pseudonym)
    }
    written.then(forget, forget)
    return written
  }

  async lookup (pseudonym: string): Promise<Mapping | undefined> {
    if (this.#closing !== undefined) throw closed()
    if (typeof pseudonym !== 'string') throw new TypeError('lookup() takes a pseudonym string')
    const cached = this.#cache.get(pseudonym)
    if (cached !== undefined) {
      this.#stats.cacheHits++
      return cached
    }
    let read = this.#reads.get(pseudonym)
    if (read === undefined) {
      read = this.#read(pseudonym).finally(() => this.#reads.delete(pseudonym))
      this.#reads.set(pseudonym, read)
    }
    return read
  }

  async #read (pseudonym: string): Promise<Mapping | undefined> {
    const row = await this.#backend.read(pseudonym)
    if (row === undefined) return undefined
    const mapping = this.#cipher.open(row)
    this.#cache.set(pseudonym, mapping)
    return mapping
  }

  /** Writes every pending batch, waits for reads in flight, then closes the database. */
  close (): Promise<void> {
    this.#closing ??= (async () => {
      await this.#batcher.flush()
      await Promise.allSettled([...this.#reads.values()])
      this.#cache.clear()
      await this.#backend.close()
    })()
    return this.#closing
  }

  stats (): StoreStats {
    return Object.freeze({ ...this.#stats })
  }
}
