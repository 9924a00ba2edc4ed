/** The LRU cache in front of the store (src/store/lru.ts). */
import t from 'tap'
import { LruCache } from '../../src/store/lru.js'

t.test('evicts the least recently used', async (t) => {
  const cache = new LruCache<string, number>(3)
  cache.set('a', 1)
  cache.set('b', 2)
  cache.set('c', 3)
  t.equal(cache.get('a'), 1, 'a is now the most recent')
  cache.set('d', 4)
  t.equal(cache.size, 3)
  t.equal(cache.peek('b'), undefined, 'b was the least recently used')
  t.same([cache.peek('a'), cache.peek('c'), cache.peek('d')], [1, 3, 4])
  cache.set('c', 30)
  cache.set('e', 5)
  t.equal(cache.peek('a'), undefined, 'set refreshes too: a went, c stayed')
  t.equal(cache.peek('c'), 30)
})

t.test('peek does not refresh; delete and clear', async (t) => {
  const cache = new LruCache<string, number>(2)
  cache.set('a', 1)
  cache.set('b', 2)
  t.equal(cache.peek('a'), 1)
  cache.set('c', 3)
  t.equal(cache.peek('a'), undefined)
  t.equal(cache.delete('b'), true)
  t.equal(cache.delete('b'), false)
  cache.clear()
  t.equal(cache.size, 0)
})

t.test('capacity 0 keeps nothing; a bad capacity throws', async (t) => {
  const cache = new LruCache<string, number>(0)
  cache.set('a', 1)
  t.equal(cache.get('a'), undefined)
  t.throws(() => new LruCache(-1), RangeError)
  t.throws(() => new LruCache(1.5), RangeError)
})
