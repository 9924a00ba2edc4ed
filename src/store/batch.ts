/**
 * Coalescing of record() calls into write transactions (group commit).
 *
 * A commit costs about the same for one row as for hundreds (a round trip and a WAL flush in
 * PostgreSQL, a WAL append in SQLite), so mappings recorded close together share one
 * transaction: the first call into an idle store opens a window (BATCH_WINDOW_MS; 0, the
 * default, closes it at the end of the current turn of the event loop); what arrives within
 * it goes into the same transaction, and a full batch (BATCH_MAX_MAPPINGS) is written at
 * once. One batch is written at a time: what arrives meanwhile waits and forms the next
 * batch, so under load batches grow by themselves while latency stays about one commit.
 *
 * Every call's promise settles after the transaction that holds its mappings has committed:
 * it resolves when each of its pseudonyms is stored with its original, and rejects with
 * DG_STORE_CONFLICT when one is stored with another original (decided by MAC, without
 * decrypting), or with the batch's DG_STORE_UNAVAILABLE.
 */
import type { Buffer } from 'node:buffer'
import { DicomgateError } from '../errors.js'
import type { SealedRow } from './cipher.js'
import type { StoredState } from './backend.js'
import { BATCH_MAX_MAPPINGS, BATCH_WINDOW_MS } from './defaults.js'
import type { Mapping } from './types.js'

export interface BatchOptions {
  /** 0: only calls made in the same turn of the event loop share a transaction (setImmediate). */
  readonly windowMs?: number
  readonly maxMappings?: number
}

/** A mapping to record, with its sealed row. */
export interface Entry {
  readonly mapping: Mapping
  readonly row: SealedRow
}

/** What one committed batch did: `stored` are the mappings now known to be recorded (for the cache). */
export interface BatchOutcome {
  readonly stored: readonly Mapping[]
  readonly inserted: number
  readonly unchanged: number
  readonly conflicts: number
}

interface Pending {
  readonly entries: readonly Entry[]
  readonly resolve: () => void
  readonly reject: (err: unknown) => void
}

type Insert = (rows: readonly SealedRow[]) => Promise<Map<string, StoredState>>

const byPseudonym = (a: Entry, b: Entry): number =>
  a.mapping.pseudonym < b.mapping.pseudonym ? -1 : a.mapping.pseudonym > b.mapping.pseudonym ? 1 : 0

export class WriteBatcher {
  readonly #insert: Insert
  readonly #onCommit: (outcome: BatchOutcome) => void
  readonly #windowMs: number
  readonly #maxMappings: number
  #queue: Pending[] = []
  #queued = 0
  /** Cancels the pending window, when one is open. */
  #cancelWindow: (() => void) | undefined
  #running: Promise<void> | undefined

  constructor (insert: Insert, onCommit: (outcome: BatchOutcome) => void, options: BatchOptions = {}) {
    this.#insert = insert
    this.#onCommit = onCommit
    this.#windowMs = options.windowMs ?? BATCH_WINDOW_MS
    this.#maxMappings = options.maxMappings ?? BATCH_MAX_MAPPINGS
  }

  /** Settles after the transaction holding `entries` committed (see the module comment). */
  write (entries: readonly Entry[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ entries, resolve, reject })
      this.#queued += entries.length
      if (this.#queued >= this.#maxMappings) this.#kick()
      else this.#cancelWindow ??= this.#openWindow()
    })
  }

  /** Resolves when everything queued so far has been written (or has failed). */
  async flush (): Promise<void> {
    this.#kick()
    while (this.#running !== undefined) await this.#running
  }

  #openWindow (): () => void {
    const close = (): void => {
      this.#cancelWindow = undefined
      this.#kick()
    }
    if (this.#windowMs === 0) {
      const immediate = setImmediate(close)
      return () => { clearImmediate(immediate) }
    }
    const timer = setTimeout(close, this.#windowMs)
    return () => { clearTimeout(timer) }
  }

  /** Starts the next batch unless one is being written (its end starts the next). */
  #kick (): void {
    if (this.#running !== undefined || this.#queue.length === 0) return
    this.#cancelWindow?.()
    this.#cancelWindow = undefined
    let count = 0
    let take = 0
    while (take < this.#queue.length && (take === 0 || count + (this.#queue[take]?.entries.length ?? 0) <= this.#maxMappings)) {
      count += this.#queue[take]?.entries.length ?? 0
      take++
    }
    const batch = this.#queue.splice(0, take)
    this.#queued -= count
    this.#running = this.#run(batch).finally(() => {
      this.#running = undefined
      this.#kick() // what queued up meanwhile has waited a whole commit already
    })
  }

  async #run (batch: readonly Pending[]): Promise<void> {
    // One row per pseudonym, the first one queued; a later different original for the same
    // pseudonym is then a conflict with it, as if it had been recorded just before.
    const unique = new Map<string, Entry>()
    for (const pending of batch) {
      for (const entry of pending.entries) if (!unique.has(entry.mapping.pseudonym)) unique.set(entry.mapping.pseudonym, entry)
    }
    const entries = [...unique.values()].sort(byPseudonym)
    let existing: Map<string, StoredState>
    try {
      existing = await this.#insert(entries.map((e) => e.row))
    } catch (err) {
      for (const pending of batch) pending.reject(err)
      return
    }
    const storedMac = (pseudonym: string): Buffer | undefined => existing.get(pseudonym)?.mac ?? unique.get(pseudonym)?.row.mac
    const stored: Mapping[] = []
    let unchanged = 0
    for (const { mapping, row } of entries) {
      const state = existing.get(mapping.pseudonym)
      if (state === undefined) {
        stored.push(mapping)
      } else if (state.mac.equals(row.mac)) {
        unchanged++
        // The first recording's kind and key id stay: the cache must answer as the database does.
        stored.push(Object.freeze({ ...mapping, kind: state.kind, keyId: state.keyId }))
      }
    }
    const clashes = batch.map((pending) => pending.entries.filter((e) => storedMac(e.mapping.pseudonym)?.equals(e.row.mac) !== true).length)
    // The cache learns the batch before any caller goes on.
    this.#onCommit({ stored, inserted: entries.length - existing.size, unchanged, conflicts: clashes.filter((n) => n > 0).length })
    batch.forEach((pending, i) => {
      const clashing = clashes[i] ?? 0
      if (clashing === 0) {
        pending.resolve()
      } else {
        pending.reject(new DicomgateError('DG_STORE_CONFLICT',
          `${clashing} of ${pending.entries.length} pseudonyms are already recorded for another original; ` +
          'the recorded mappings are kept, the call\'s other mappings are recorded'))
      }
    })
  }
}
