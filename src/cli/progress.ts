/**
 * A one-line progress bar for long runs, on a terminal only (redrawn at most every 100 ms
 * with a carriage return); nothing when stderr is a file or a pipe, where a summary line at
 * the end is what a log wants.
 */

import type { Writable } from 'node:stream'

const REDRAW_INTERVAL_MS = 100
const BAR_WIDTH = 24

export class Progress {
  readonly #out: Writable
  readonly #enabled: boolean
  readonly #total: number
  readonly #started = performance.now()
  #done = 0
  #rejected = 0
  #bytes = 0
  #drawnAt = 0

  constructor (out: Writable, total: number) {
    this.#out = out
    this.#total = total
    this.#enabled = (out as Writable & { isTTY?: boolean }).isTTY === true && total > 1
  }

  update (ok: boolean, bytes: number): void {
    this.#done++
    if (!ok) this.#rejected++
    this.#bytes += bytes
    const now = performance.now()
    if (!this.#enabled || (now - this.#drawnAt < REDRAW_INTERVAL_MS && this.#done < this.#total)) return
    this.#drawnAt = now
    const fraction = this.#total === 0 ? 1 : this.#done / this.#total
    const filled = Math.round(fraction * BAR_WIDTH)
    const seconds = (now - this.#started) / 1000
    const rate = seconds > 0 ? this.#bytes / seconds / 1e6 : 0
    const eta = fraction > 0 ? seconds * (1 - fraction) / fraction : 0
    const bar = `${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}`
    const rejected = this.#rejected > 0 ? `, ${this.#rejected} rejected` : ''
    this.#out.write(`\r[${bar}] ${this.#done}/${this.#total} files, ${rate.toFixed(0)} MB/s${rejected}, ${eta.toFixed(0)} s left \x1b[K`)
  }

  /** Clears the bar so that the summary starts on a clean line. */
  finish (): void {
    if (this.#enabled && this.#drawnAt > 0) this.#out.write('\r\x1b[K')
  }
}
