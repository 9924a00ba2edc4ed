/**
 * Numbered mappings for the store tests and their writer processes: mapping `i` is the
 * same in every process, so that two writers can record overlapping ranges and the test can
 * tell afterwards what each pseudonym must resolve to.
 */
import type { Mapping } from '../../src/store/index.js'

export function numberedMapping (i: number, keyId: string): Mapping {
  return {
    pseudonym: `2.25.${1_000_000_000 + i}`,
    original: i % 2 === 0 ? `1.2.826.0.1.3680043.2.${i}` : `MÜLLER^JÜRGEN^${i}=山田^太郎`,
    kind: i % 2 === 0 ? 'SOPInstanceUID' : 'PatientName',
    keyId
  }
}
