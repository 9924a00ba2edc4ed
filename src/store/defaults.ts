/**
 * The store's named defaults, in one module with no imports, so that reading them loads
 * neither database driver.
 */

/**
 * How long the first record() call into an idle store waits for others to join its
 * transaction. 0: the calls of the same turn of the event loop; later calls join while that
 * transaction commits (group commit, as PostgreSQL's own commit_delay defaults to 0). A
 * window adds its whole length to every lone call and gained nothing in measurements
 * (docs/store.md); raise it only where a commit is slow and calls trickle in.
 */
export const BATCH_WINDOW_MS = 0
/** Mappings that make a batch full: it is written at once. Bounds a SQLite transaction to about 2 ms of event loop. */
export const BATCH_MAX_MAPPINGS = 500
/** Mappings kept in memory (a few hundred bytes each): the UIDs of many studies in flight. */
export const STORE_CACHE_ENTRIES = 65_536
/** Longest pseudonym accepted (DICOM values are at most 64 characters; a UID at most 64 bytes). */
export const MAX_PSEUDONYM_LENGTH = 1024
/** How long a SQLite write waits for another process's write lock before DG_STORE_UNAVAILABLE. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000
/** PostgreSQL connections per store when the config does not say: one writer, the others for lookups. */
export const POSTGRES_POOL_SIZE = 4
/** Largest accepted poolSize: PostgreSQL's default max_connections is 100. */
export const POSTGRES_MAX_POOL_SIZE = 100
/** How long to wait for a PostgreSQL connection before DG_STORE_UNAVAILABLE. */
export const POSTGRES_CONNECT_TIMEOUT_MS = 10_000
/** How long one PostgreSQL query may take before DG_STORE_UNAVAILABLE (the database is then taken as down). */
export const POSTGRES_QUERY_TIMEOUT_MS = 30_000
