/**
 * A small least-recently-used cache on a Map: a Map iterates in insertion order, so
 * deleting and re-inserting a key on every use keeps the least recently used key first,
 * and eviction takes the first key. Every operation is O(1).
 */
export class LruCache<K, V> {
  readonly #entries = new Map<K, V>()
  readonly capacity: number

  /** `capacity` 0 disables the cache: nothing is kept. */
  constructor (capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) {
      throw new RangeError('an LRU capacity is a non-negative integer')
    }
    this.capacity = capacity
  }

  get size (): number {
    return this.#entries.size
  }

  /** The value, now the most recently used; undefined when absent. */
  get (key: K): V | undefined {
    const value = this.#entries.get(key)
    if (value === undefined) return undefined
    this.#entries.delete(key)
    this.#entries.set(key, value)
    return value
  }

  /** The value without touching its recency. */
  peek (key: K): V | undefined {
    return this.#entries.get(key)
  }

  /** Stores `value` as the most recently used, evicting the least recently used beyond capacity. */
  set (key: K, value: V): void {
    if (this.capacity === 0) return
    this.#entries.delete(key)
    this.#entries.set(key, value)
    if (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next()
      if (oldest.done !== true) this.#entries.delete(oldest.value)
    }
  }

  delete (key: K): boolean {
    return this.#entries.delete(key)
  }

  clear (): void {
    this.#entries.clear()
  }
}
