/**
 * The pseudonym mapping store: every pseudonym dicomgate emits, recorded as pseudonym →
 * original, so that the gateway can translate a request for a pseudonymized UID back to
 * the original, and an honest broker can look a subject up. See docs/store.md.
 */

/** One recorded pseudonym. */
export interface Mapping {
  /** The value dicomgate emitted (public; not PHI), e.g. a `2.25.` UID or 'PAT-7QK2M9XD0B'. */
  readonly pseudonym: string
  /** The original value: PHI, only ever stored encrypted. */
  readonly original: string
  /** DICOM keyword of the attribute, e.g. 'StudyInstanceUID', 'PatientID'. */
  readonly kind: string
  /** `DeidKeys.fingerprint` (16 hex digits) of the secret that made the pseudonym. */
  readonly keyId: string
}

export interface PseudonymStore {
  /**
   * Resolves once every mapping is committed (durable). Already-recorded identical mappings
   * are a no-op. Rejects with DG_STORE_CONFLICT when a pseudonym is already recorded for
   * another original (the stored mapping is kept; the call's other mappings are recorded),
   * DG_STORE_UNAVAILABLE when the database fails or the store is closed, and a TypeError
   * for a malformed mapping (then nothing of the call is recorded).
   */
  record (mappings: readonly Mapping[]): Promise<void>
  /** The mapping recorded for `pseudonym`, or undefined. */
  lookup (pseudonym: string): Promise<Mapping | undefined>
  /** Writes what is pending, then closes; later calls reject with DG_STORE_UNAVAILABLE. */
  close (): Promise<void>
}

export type StoreConfig =
  | { readonly kind: 'sqlite', readonly path: string }
  | { readonly kind: 'postgres', readonly connectionString: string, readonly poolSize?: number }

/** Counters since the store was opened: for metrics, and for tests that check batching. */
export interface StoreStats {
  /** Write transactions committed: one per batch of coalesced record() calls. */
  readonly transactions: number
  /** Mappings written as new rows. */
  readonly inserted: number
  /** Mappings found already recorded (in memory or in the database): nothing written. */
  readonly unchanged: number
  /** record() calls rejected because a pseudonym was recorded for another original. */
  readonly conflicts: number
  /** Lookups answered from memory, without a query. */
  readonly cacheHits: number
}

/** What `openStore` returns: a PseudonymStore that also reports its counters. */
export interface MappingStore extends PseudonymStore {
  stats (): StoreStats
}
