/**
 * Transfer syntaxes (PS3.5 §10 and Annex A; UIDs from PS3.6 Annex A).
 *
 * The codec needs three facts of a transfer syntax: explicit or implicit VR, byte order, and
 * whether the dataset is deflated (PS3.5 §A.5). Pixel data encapsulation (PS3.5 §A.4) is
 * seen in the stream itself: Pixel Data with undefined length. An encapsulated syntax that
 * is not listed here is still read correctly when its UID has the form of the standard's
 * encapsulated family (1.2.840.10008.1.2.4.*, .5, .6.*, .8.1); any other UID is refused.
 */

export interface TransferSyntax {
  readonly uid: string
  readonly name: string
  readonly explicitVR: boolean
  readonly littleEndian: boolean
  /** The dataset after the file meta is raw deflate (RFC 1951), PS3.5 §A.5. */
  readonly deflated: boolean
  /** Pixel data is expected encapsulated (PS3.5 §A.4). */
  readonly encapsulated: boolean
}

function ts (uid: string, name: string, flags: Partial<Omit<TransferSyntax, 'uid' | 'name'>> = {}): TransferSyntax {
  return Object.freeze({
    uid,
    name,
    explicitVR: flags.explicitVR ?? true,
    littleEndian: flags.littleEndian ?? true,
    deflated: flags.deflated ?? false,
    encapsulated: flags.encapsulated ?? true
  })
}

export const IMPLICIT_VR_LITTLE_ENDIAN = ts('1.2.840.10008.1.2', 'Implicit VR Little Endian', { explicitVR: false, encapsulated: false })
export const EXPLICIT_VR_LITTLE_ENDIAN = ts('1.2.840.10008.1.2.1', 'Explicit VR Little Endian', { encapsulated: false })
export const EXPLICIT_VR_BIG_ENDIAN = ts('1.2.840.10008.1.2.2', 'Explicit VR Big Endian (retired)', { littleEndian: false, encapsulated: false })
export const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = ts('1.2.840.10008.1.2.1.99', 'Deflated Explicit VR Little Endian', { deflated: true, encapsulated: false })

const KNOWN: readonly TransferSyntax[] = [
  IMPLICIT_VR_LITTLE_ENDIAN,
  EXPLICIT_VR_LITTLE_ENDIAN,
  EXPLICIT_VR_BIG_ENDIAN,
  DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
  ts('1.2.840.10008.1.2.1.98', 'Encapsulated Uncompressed Explicit VR Little Endian'),
  ts('1.2.840.10008.1.2.4.50', 'JPEG Baseline (Process 1)'),
  ts('1.2.840.10008.1.2.4.51', 'JPEG Extended (Process 2 & 4)'),
  ts('1.2.840.10008.1.2.4.57', 'JPEG Lossless, Non-Hierarchical (Process 14)'),
  ts('1.2.840.10008.1.2.4.70', 'JPEG Lossless, Non-Hierarchical, First-Order Prediction'),
  ts('1.2.840.10008.1.2.4.80', 'JPEG-LS Lossless'),
  ts('1.2.840.10008.1.2.4.81', 'JPEG-LS Near-Lossless'),
  ts('1.2.840.10008.1.2.4.90', 'JPEG 2000 (Lossless Only)'),
  ts('1.2.840.10008.1.2.4.91', 'JPEG 2000'),
  ts('1.2.840.10008.1.2.4.92', 'JPEG 2000 Part 2 Multi-component (Lossless Only)'),
  ts('1.2.840.10008.1.2.4.93', 'JPEG 2000 Part 2 Multi-component'),
  ts('1.2.840.10008.1.2.4.94', 'JPIP Referenced'),
  ts('1.2.840.10008.1.2.4.95', 'JPIP Referenced Deflate', { deflated: true }),
  ts('1.2.840.10008.1.2.4.100', 'MPEG2 Main Profile / Main Level'),
  ts('1.2.840.10008.1.2.4.101', 'MPEG2 Main Profile / High Level'),
  ts('1.2.840.10008.1.2.4.102', 'MPEG-4 AVC/H.264 High Profile / Level 4.1'),
  ts('1.2.840.10008.1.2.4.103', 'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1'),
  ts('1.2.840.10008.1.2.4.104', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video'),
  ts('1.2.840.10008.1.2.4.105', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video'),
  ts('1.2.840.10008.1.2.4.106', 'MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2'),
  ts('1.2.840.10008.1.2.4.107', 'HEVC/H.265 Main Profile / Level 5.1'),
  ts('1.2.840.10008.1.2.4.108', 'HEVC/H.265 Main 10 Profile / Level 5.1'),
  ts('1.2.840.10008.1.2.4.110', 'JPEG XL Lossless'),
  ts('1.2.840.10008.1.2.4.111', 'JPEG XL JPEG Recompression'),
  ts('1.2.840.10008.1.2.4.112', 'JPEG XL'),
  ts('1.2.840.10008.1.2.4.201', 'High-Throughput JPEG 2000 (Lossless Only)'),
  ts('1.2.840.10008.1.2.4.202', 'High-Throughput JPEG 2000 with RPCL Options (Lossless Only)'),
  ts('1.2.840.10008.1.2.4.203', 'High-Throughput JPEG 2000'),
  ts('1.2.840.10008.1.2.5', 'RLE Lossless'),
  ts('1.2.840.10008.1.2.8.1', 'Deflated Image Frame Compression')
]

const BY_UID: ReadonlyMap<string, TransferSyntax> = new Map(KNOWN.map((t) => [t.uid, t]))

/** Families of encapsulated syntaxes the standard may add to (PS3.5 §A.4, §8.2). */
const ENCAPSULATED_FAMILY = /^1\.2\.840\.10008\.1\.2\.(4\.\d+|5|6\.\d+|8\.\d+)$/

/**
 * The transfer syntax for a UID, or undefined when dicomgate cannot read it. Trailing NUL
 * or space padding (PS3.5 §6.2: UI pads with NUL; some writers pad with space) is ignored.
 */
export function lookupTransferSyntax (uid: string): TransferSyntax | undefined {
  const clean = uid.replace(/[\0 ]+$/, '')
  const known = BY_UID.get(clean)
  if (known !== undefined) return known
  if (ENCAPSULATED_FAMILY.test(clean)) return ts(clean, 'Encapsulated (unlisted)')
  return undefined
}
