/**
 * `ruleFor`: which compiled rule applies to one element. The engine calls it for every
 * element of every instance, so it allocates nothing for public tags and does one or two
 * Map lookups in the common case (a tag in Table E.1-1, or a tag in no row).
 *
 * Precedence, most specific first (docs/profiles.md):
 *
 * - passthrough: keep everything;
 * - group length (gggg,0000): remove (PS3.5 §7.2: recomputed or dropped by the writer);
 * - private (odd group): a creator element (gggg,0010-00FF) is kept when the profile keeps
 *   some element of its block, else removed; a private element follows the profile's rule
 *   for its creator, group and element byte, else `privateDefault` (remove);
 * - public: a profile rule for the tag or keyword → a profile tag pattern → a profile VR
 *   rule → the Table E.1-1 row of the tag → a Table E.1-1 pattern row → `unlistedDefault`
 *   (basic: keep, strict: remove).
 */
import type { Tag } from '../../dicom/tags.js'
import type { VR } from '../../dicom/vr.js'
import { privateBlockKey, privateKey, type CompiledProfile, type CompiledRule } from './types.js'

const GROUP_LENGTH: CompiledRule = Object.freeze({
  operation: 'remove',
  source: Object.freeze({ kind: 'default', reason: 'group length (gggg,0000): the writer recomputes or drops it (PS3.5 §7.2)' })
})
const CREATOR_KEPT: CompiledRule = Object.freeze({
  operation: 'keep',
  source: Object.freeze({ kind: 'default', reason: 'private creator of a block the profile keeps elements of (PS3.5 §7.8.1)' })
})
const CREATOR_REMOVED: CompiledRule = Object.freeze({
  operation: 'remove',
  source: Object.freeze({ kind: 'default', reason: 'private creator of a block the profile keeps nothing of (PS3.5 §7.8.1)' })
})

/** PS3.5 §7.8.1: (gggg,0010-00FF) of a private group reserve blocks for creators. */
const FIRST_CREATOR_ELEMENT = 0x0010
const LAST_CREATOR_ELEMENT = 0x00ff

/**
 * The rule for the element `tag` of VR `vr`. For a private tag, `privateCreator` is the
 * creator of its block (for a creator element: its own value); without it, a private
 * element gets `privateDefault` and a creator element is removed.
 */
export function ruleFor (profile: CompiledProfile, tag: Tag, vr: VR, privateCreator?: string): CompiledRule {
  if (profile.mode === 'passthrough') return profile.unlistedDefault
  if ((tag & 0xffff) === 0) return GROUP_LENGTH
  const group = tag >>> 16
  // Odd groups but 0001-0007 and FFFF are private (PS3.5 §7.1), as isPrivateTag says.
  if ((group & 1) === 1 && group > 0x0008 && group !== 0xffff) return privateRuleFor(profile, tag, group, privateCreator)

  const exact = profile.byTag.get(tag)
  if (exact !== undefined && exact.source.kind === 'rule') return exact
  // Profile patterns come first in `patterns`, table patterns after them.
  for (const pattern of profile.patterns) {
    if (pattern.rule.source.kind !== 'rule') break
    if (((tag & pattern.mask) >>> 0) === pattern.value) return pattern.rule
  }
  const byVR = profile.byVR.get(vr)
  if (byVR !== undefined) return byVR
  if (exact !== undefined) return exact
  for (const pattern of profile.patterns) {
    if (pattern.rule.source.kind !== 'rule' && ((tag & pattern.mask) >>> 0) === pattern.value) return pattern.rule
  }
  return profile.unlistedDefault
}

function privateRuleFor (profile: CompiledProfile, tag: Tag, group: number, creator: string | undefined): CompiledRule {
  const element = tag & 0xffff
  if (element >= FIRST_CREATOR_ELEMENT && element <= LAST_CREATOR_ELEMENT) {
    return creator !== undefined && profile.keptPrivateBlocks.has(privateBlockKey(creator, group)) ? CREATOR_KEPT : CREATOR_REMOVED
  }
  // (gggg,0001-000F) belong to no block; elements (gggg,xxee) with xx ≥ 10 to creator xx.
  if (creator === undefined || element < FIRST_CREATOR_ELEMENT) return profile.privateDefault
  return profile.privateRules.get(privateKey(creator, group, element & 0xff)) ?? profile.privateDefault
}
