/**
 * Headers of the synthetic CT files: an Enhanced CT multi-frame object and single-frame CT
 * images, with the attributes a scanner writes (patient, study, series, equipment,
 * acquisition, image pixel), nested sequences and private blocks. Values look like PHI on
 * purpose: later benchmarks de-identify the same data.
 *
 * Everything up to Pixel Data is built here; Pixel Data itself is streamed by generate.ts.
 */

import {
  at, bytesElement, dataset, ds, elementHeader, fd, fileMeta, fl, sequence, ss, text, ul, us,
  type Encoded
} from './dicom-encoder.js'
import { randomUid, type Rng } from './random.js'

/** Tags used below, by PS3.6 keyword (private ones by what they hold). */
const T = {
  FileMetaInformationVersion: 0x00020001,
  MediaStorageSOPClassUID: 0x00020002,
  MediaStorageSOPInstanceUID: 0x00020003,
  TransferSyntaxUID: 0x00020010,
  ImplementationClassUID: 0x00020012,
  ImplementationVersionName: 0x00020013,
  SpecificCharacterSet: 0x00080005,
  ImageType: 0x00080008,
  InstanceCreationDate: 0x00080012,
  InstanceCreationTime: 0x00080013,
  SOPClassUID: 0x00080016,
  SOPInstanceUID: 0x00080018,
  StudyDate: 0x00080020,
  SeriesDate: 0x00080021,
  AcquisitionDate: 0x00080022,
  ContentDate: 0x00080023,
  AcquisitionDateTime: 0x0008002a,
  StudyTime: 0x00080030,
  SeriesTime: 0x00080031,
  AcquisitionTime: 0x00080032,
  ContentTime: 0x00080033,
  AccessionNumber: 0x00080050,
  Modality: 0x00080060,
  Manufacturer: 0x00080070,
  InstitutionName: 0x00080080,
  InstitutionAddress: 0x00080081,
  ReferringPhysicianName: 0x00080090,
  CodeValue: 0x00080100,
  CodingSchemeDesignator: 0x00080102,
  CodeMeaning: 0x00080104,
  StationName: 0x00081010,
  StudyDescription: 0x00081030,
  ProcedureCodeSequence: 0x00081032,
  SeriesDescription: 0x0008103e,
  InstitutionalDepartmentName: 0x00081040,
  PerformingPhysicianName: 0x00081050,
  OperatorsName: 0x00081070,
  ManufacturerModelName: 0x00081090,
  ReferencedSOPClassUID: 0x00081150,
  ReferencedSOPInstanceUID: 0x00081155,
  ReferencedImageSequence: 0x00081140,
  PatientName: 0x00100010,
  PatientID: 0x00100020,
  IssuerOfPatientID: 0x00100021,
  PatientBirthDate: 0x00100030,
  PatientSex: 0x00100040,
  PatientAge: 0x00101010,
  PatientSize: 0x00101020,
  PatientWeight: 0x00101030,
  PatientAddress: 0x00101040,
  PatientTelephoneNumbers: 0x00102154,
  PatientComments: 0x00104000,
  BodyPartExamined: 0x00180015,
  SliceThickness: 0x00180050,
  KVP: 0x00180060,
  SpacingBetweenSlices: 0x00180088,
  DataCollectionDiameter: 0x00180090,
  DeviceSerialNumber: 0x00181000,
  SoftwareVersions: 0x00181020,
  ProtocolName: 0x00181030,
  ReconstructionDiameter: 0x00181100,
  GantryDetectorTilt: 0x00181120,
  TableHeight: 0x00181130,
  RotationDirection: 0x00181140,
  ExposureTime: 0x00181150,
  XRayTubeCurrent: 0x00181151,
  Exposure: 0x00181152,
  FilterType: 0x00181160,
  GeneratorPower: 0x00181170,
  FocalSpots: 0x00181190,
  ConvolutionKernel: 0x00181210,
  PatientPosition: 0x00185100,
  CTDIvol: 0x00189345,
  FrameAcquisitionDateTime: 0x00189074,
  FrameReferenceDateTime: 0x00189151,
  StudyInstanceUID: 0x0020000d,
  SeriesInstanceUID: 0x0020000e,
  StudyID: 0x00200010,
  SeriesNumber: 0x00200011,
  AcquisitionNumber: 0x00200012,
  InstanceNumber: 0x00200013,
  ImagePositionPatient: 0x00200032,
  ImageOrientationPatient: 0x00200037,
  FrameOfReferenceUID: 0x00200052,
  PositionReferenceIndicator: 0x00201040,
  SliceLocation: 0x00201041,
  StackID: 0x00209056,
  InStackPositionNumber: 0x00209057,
  FrameContentSequence: 0x00209111,
  PlanePositionSequence: 0x00209113,
  PlaneOrientationSequence: 0x00209116,
  FrameAcquisitionNumber: 0x00209156,
  DimensionIndexValues: 0x00209157,
  DimensionOrganizationUID: 0x00209164,
  DimensionIndexPointer: 0x00209165,
  FunctionalGroupPointer: 0x00209167,
  DimensionOrganizationSequence: 0x00209221,
  DimensionIndexSequence: 0x00209222,
  SamplesPerPixel: 0x00280002,
  PhotometricInterpretation: 0x00280004,
  NumberOfFrames: 0x00280008,
  Rows: 0x00280010,
  Columns: 0x00280011,
  PixelSpacing: 0x00280030,
  BitsAllocated: 0x00280100,
  BitsStored: 0x00280101,
  HighBit: 0x00280102,
  PixelRepresentation: 0x00280103,
  WindowCenter: 0x00281050,
  WindowWidth: 0x00281051,
  RescaleIntercept: 0x00281052,
  RescaleSlope: 0x00281053,
  RescaleType: 0x00281054,
  PixelMeasuresSequence: 0x00289110,
  FrameVOILUTSequence: 0x00289132,
  PixelValueTransformationSequence: 0x00289145,
  RequestedProcedureDescription: 0x00321060,
  PerformedProcedureStepStartDate: 0x00400244,
  PerformedProcedureStepStartTime: 0x00400245,
  PerformedProcedureStepID: 0x00400253,
  PerformedProcedureStepDescription: 0x00400254,
  RequestAttributesSequence: 0x00400275,
  ScheduledProcedureStepDescription: 0x00400007,
  ScheduledProcedureStepID: 0x00400009,
  RequestedProcedureID: 0x00401001,
  SharedFunctionalGroupsSequence: 0x52009229,
  PerFrameFunctionalGroupsSequence: 0x52009230,
  PixelData: 0x7fe00010,
  // PS3.5 §7.8.1: creator (gggg,0010) reserves elements (gggg,1000-10FF).
  PrivateCreator09: 0x00090010,
  PrivateText09: 0x00091001,
  PrivateCounter09: 0x00091002,
  PrivateBlob09: 0x00091003,
  PrivateCreator43: 0x00430010,
  PrivateShort43: 0x00431001,
  PrivateNote43: 0x00431002,
  PrivateSequence43: 0x00431003,
  PrivateFloat43: 0x00431004
} as const

export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2'
export const ENHANCED_CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2.1'
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1'
const IMPLEMENTATION_CLASS_UID = '2.25.270194797457395498744307733851460283921'

export const ROWS = 512
export const COLUMNS = 512
const BITS_ALLOCATED = 16
export const FRAME_BYTES = ROWS * COLUMNS * (BITS_ALLOCATED / 8)
const SLICE_THICKNESS_MM = 1.25
const PIXEL_SPACING_MM = 0.703125

/** What ties files of one study and series together. */
export interface SeriesIdentity {
  readonly patientIndex: number
  readonly studyInstanceUID: string
  readonly seriesInstanceUID: string
  readonly frameOfReferenceUID: string
  readonly seriesNumber: number
}

export function newSeries (rng: Rng, patientIndex: number, seriesNumber: number, study?: string): SeriesIdentity {
  return {
    patientIndex,
    studyInstanceUID: study ?? randomUid(rng),
    seriesInstanceUID: randomUid(rng),
    frameOfReferenceUID: randomUid(rng),
    seriesNumber
  }
}

function meta (sopClassUID: string, sopInstanceUID: string): Encoded {
  return fileMeta([
    bytesElement(T.FileMetaInformationVersion, 'OB', Uint8Array.of(0x00, 0x01)),
    text(T.MediaStorageSOPClassUID, 'UI', sopClassUID),
    text(T.MediaStorageSOPInstanceUID, 'UI', sopInstanceUID),
    text(T.TransferSyntaxUID, 'UI', EXPLICIT_VR_LITTLE_ENDIAN),
    text(T.ImplementationClassUID, 'UI', IMPLEMENTATION_CLASS_UID),
    text(T.ImplementationVersionName, 'SH', 'DGBENCH_1')
  ])
}

/** Patient, study, equipment and request attributes shared by both kinds of file. */
function commonAttributes (rng: Rng, series: SeriesIdentity, sopClassUID: string, sopInstanceUID: string): Encoded[] {
  const p = series.patientIndex
  return [
    text(T.SpecificCharacterSet, 'CS', 'ISO_IR 100'),
    text(T.InstanceCreationDate, 'DA', '20240315'),
    text(T.InstanceCreationTime, 'TM', '101522.123'),
    text(T.SOPClassUID, 'UI', sopClassUID),
    text(T.SOPInstanceUID, 'UI', sopInstanceUID),
    text(T.StudyDate, 'DA', '20240315'),
    text(T.SeriesDate, 'DA', '20240315'),
    text(T.AcquisitionDate, 'DA', '20240315'),
    text(T.ContentDate, 'DA', '20240315'),
    text(T.StudyTime, 'TM', '100412'),
    text(T.SeriesTime, 'TM', '101003'),
    text(T.AcquisitionTime, 'TM', '101011.5'),
    text(T.ContentTime, 'TM', '101522'),
    text(T.AccessionNumber, 'SH', `ACC${String(100000 + p)}`),
    text(T.Modality, 'CS', 'CT'),
    text(T.Manufacturer, 'LO', 'Dicomgate Bench Scanners'),
    text(T.InstitutionName, 'LO', 'St. Example General Hospital'),
    text(T.InstitutionAddress, 'ST', '1 Infirmary Road, Exampletown EX1 2MP'),
    text(T.ReferringPhysicianName, 'PN', 'Referrer^Rita^M^Dr.'),
    text(T.StationName, 'SH', 'CT01-CONSOLE'),
    text(T.StudyDescription, 'LO', 'CT THORAX ABDOMEN PELVIS WITH CONTRAST'),
    sequence(T.ProcedureCodeSequence, [[
      text(T.CodeValue, 'SH', 'RPID16'),
      text(T.CodingSchemeDesignator, 'SH', 'RADLEX'),
      text(T.CodeMeaning, 'LO', 'CT CHEST ABDOMEN PELVIS WITH IV CONTRAST')
    ]], 'defined'),
    text(T.SeriesDescription, 'LO', 'Body 1.25mm soft tissue'),
    text(T.InstitutionalDepartmentName, 'LO', 'Radiology'),
    text(T.PerformingPhysicianName, 'PN', 'Performer^Paul'),
    text(T.OperatorsName, 'PN', 'Tech^Tina'),
    text(T.ManufacturerModelName, 'LO', 'BenchCT 128'),
    text(T.PrivateCreator09, 'LO', 'DICOMGATE BENCH 1.0'),
    text(T.PrivateText09, 'LO', `Scanned for patient PAT${String(p).padStart(6, '0')}`),
    ul(T.PrivateCounter09, rng() >>> 8),
    // Vendor blobs of a few kB (CSA-like headers) are usual in CT; this one is opaque.
    bytesElement(T.PrivateBlob09, 'OB', noiseBytes(rng, 1536)),
    text(T.PatientName, 'PN', `Bench^Patient^${p}^^`),
    text(T.PatientID, 'LO', `PAT${String(p).padStart(6, '0')}`),
    text(T.IssuerOfPatientID, 'LO', 'EXAMPLE-HOSPITAL'),
    text(T.PatientBirthDate, 'DA', `19${String(40 + (p % 50))}0${1 + (p % 9)}1${p % 10}`),
    text(T.PatientSex, 'CS', p % 2 === 0 ? 'F' : 'M'),
    text(T.PatientAge, 'AS', '054Y'),
    ds(T.PatientSize, 1.72),
    ds(T.PatientWeight, 71.5),
    text(T.PatientAddress, 'LO', `${p} Example Street, Exampletown`),
    text(T.PatientTelephoneNumbers, 'SH', '+44 1632 960000'),
    text(T.PatientComments, 'LT', 'Allergic to iodinated contrast in 2019; premedicated.'),
    text(T.BodyPartExamined, 'CS', 'CHEST'),
    text(T.DeviceSerialNumber, 'LO', 'SN-0042-BENCH'),
    text(T.SoftwareVersions, 'LO', 'bench-2.4.1', 'recon-7.0'),
    text(T.ProtocolName, 'LO', '5.1 CAP Contrast'),
    text(T.PatientPosition, 'CS', 'FFS'),
    text(T.StudyInstanceUID, 'UI', series.studyInstanceUID),
    text(T.SeriesInstanceUID, 'UI', series.seriesInstanceUID),
    text(T.StudyID, 'SH', String(1000 + p)),
    text(T.SeriesNumber, 'IS', String(series.seriesNumber)),
    text(T.AcquisitionNumber, 'IS', '1'),
    text(T.FrameOfReferenceUID, 'UI', series.frameOfReferenceUID),
    text(T.PositionReferenceIndicator, 'LO', 'SN'),
    us(T.SamplesPerPixel, 1),
    text(T.PhotometricInterpretation, 'CS', 'MONOCHROME2'),
    us(T.Rows, ROWS),
    us(T.Columns, COLUMNS),
    us(T.BitsAllocated, BITS_ALLOCATED),
    us(T.BitsStored, 12),
    us(T.HighBit, 11),
    us(T.PixelRepresentation, 0),
    text(T.RequestedProcedureDescription, 'LO', 'CT CAP'),
    text(T.PerformedProcedureStepStartDate, 'DA', '20240315'),
    text(T.PerformedProcedureStepStartTime, 'TM', '100412'),
    text(T.PerformedProcedureStepID, 'SH', `PPS${p}`),
    text(T.PerformedProcedureStepDescription, 'LO', 'CT CAP with contrast'),
    sequence(T.RequestAttributesSequence, [[
      text(T.ScheduledProcedureStepDescription, 'LO', 'CT CAP'),
      text(T.ScheduledProcedureStepID, 'SH', `SPS${p}`),
      text(T.RequestedProcedureID, 'SH', `RP${p}`)
    ]], 'undefined'),
    text(T.PrivateCreator43, 'LO', 'DICOMGATE BENCH 2.0'),
    ss(T.PrivateShort43, -1024),
    text(T.PrivateNote43, 'LO', 'private note: call Dr. Referrer on 555-0100'),
    // A private sequence in Explicit VR (PS3.5 §7.8): it must survive untouched.
    // Its item reserves its own private block, as items are datasets of their own.
    sequence(T.PrivateSequence43, [[
      text(T.PrivateCreator43, 'LO', 'DICOMGATE BENCH 2.0'),
      text(T.PrivateNote43, 'LO', 'recon kernel B30f, operator Tina'),
      text(T.CodeMeaning, 'LO', 'Private reconstruction parameters')
    ]], 'undefined'),
    fl(T.PrivateFloat43, 0.5, 1.5, 2.5)
  ]
}

/** Acquisition attributes of a CT image (CT Image Module, PS3.3 C.8.2.1). */
function acquisitionAttributes (): Encoded[] {
  return [
    ds(T.KVP, 120),
    ds(T.DataCollectionDiameter, 500),
    ds(T.ReconstructionDiameter, 360),
    ds(T.GantryDetectorTilt, 0),
    ds(T.TableHeight, 152.5),
    text(T.RotationDirection, 'CS', 'CW'),
    text(T.ExposureTime, 'IS', '500'),
    text(T.XRayTubeCurrent, 'IS', '220'),
    text(T.Exposure, 'IS', '110'),
    text(T.FilterType, 'SH', 'BODY FILTER'),
    text(T.GeneratorPower, 'IS', '26'),
    ds(T.FocalSpots, 1.2),
    text(T.ConvolutionKernel, 'SH', 'STANDARD'),
    fd(T.CTDIvol, 12.37)
  ]
}

function noiseBytes (rng: Rng, length: number): Uint8Array {
  const bytes = new Uint8Array(length)
  for (let i = 0; i < length; i++) bytes[i] = rng() & 0xff
  return bytes
}

function slicePosition (index: number): number[] {
  return [-180, -180, -100 - index * SLICE_THICKNESS_MM]
}

/**
 * Everything of a single-frame CT Image (PS3.3 A.3) up to and including the Pixel Data
 * element header; the caller appends FRAME_BYTES of pixels.
 */
export function singleFrameHeader (rng: Rng, series: SeriesIdentity, instanceNumber: number, previousInstanceUID: string | undefined): { bytes: Encoded, sopInstanceUID: string } {
  const sopInstanceUID = randomUid(rng)
  const position = slicePosition(instanceNumber)
  const elements: Encoded[] = [
    ...commonAttributes(rng, series, CT_IMAGE_STORAGE, sopInstanceUID),
    ...acquisitionAttributes(),
    text(T.ImageType, 'CS', 'ORIGINAL', 'PRIMARY', 'AXIAL'),
    ds(T.SliceThickness, SLICE_THICKNESS_MM),
    ds(T.SpacingBetweenSlices, SLICE_THICKNESS_MM),
    text(T.InstanceNumber, 'IS', String(instanceNumber)),
    ds(T.ImagePositionPatient, ...position),
    ds(T.ImageOrientationPatient, 1, 0, 0, 0, 1, 0),
    ds(T.SliceLocation, position[2] ?? 0),
    ds(T.PixelSpacing, PIXEL_SPACING_MM, PIXEL_SPACING_MM),
    ds(T.WindowCenter, 40),
    ds(T.WindowWidth, 400),
    ds(T.RescaleIntercept, -1024),
    ds(T.RescaleSlope, 1)
  ]
  if (previousInstanceUID !== undefined) {
    elements.push(sequence(T.ReferencedImageSequence, [[
      text(T.ReferencedSOPClassUID, 'UI', CT_IMAGE_STORAGE),
      text(T.ReferencedSOPInstanceUID, 'UI', previousInstanceUID)
    ]], 'defined'))
  }
  const bytes = Buffer.concat([
    meta(CT_IMAGE_STORAGE, sopInstanceUID),
    dataset(elements),
    elementHeader(T.PixelData, 'OW', FRAME_BYTES)
  ])
  return { bytes, sopInstanceUID }
}

/**
 * Everything of an Enhanced CT Image (PS3.3 A.38) up to and including the Pixel Data
 * element header, with Shared and Per-frame Functional Groups (PS3.3 C.7.6.16) for every
 * frame, as scanners write them; the caller appends frames x FRAME_BYTES of pixels.
 */
export function multiFrameHeader (rng: Rng, series: SeriesIdentity, frames: number): Encoded {
  const sopInstanceUID = randomUid(rng)
  const dimensionOrganizationUID = randomUid(rng)
  const shared: Encoded[] = [
    sequence(T.PlaneOrientationSequence, [[ds(T.ImageOrientationPatient, 1, 0, 0, 0, 1, 0)]], 'defined'),
    sequence(T.PixelMeasuresSequence, [[
      ds(T.SliceThickness, SLICE_THICKNESS_MM),
      ds(T.PixelSpacing, PIXEL_SPACING_MM, PIXEL_SPACING_MM)
    ]], 'defined'),
    sequence(T.FrameVOILUTSequence, [[ds(T.WindowCenter, 40), ds(T.WindowWidth, 400)]], 'defined'),
    sequence(T.PixelValueTransformationSequence, [[
      ds(T.RescaleIntercept, -1024),
      ds(T.RescaleSlope, 1),
      text(T.RescaleType, 'LO', 'HU')
    ]], 'defined')
  ]
  const perFrame: Encoded[][] = []
  for (let i = 0; i < frames; i++) {
    // Frames 10 ms apart; wrap before the seconds field would pass 59.
    const seconds = (11 + (i % 4800) / 100).toFixed(2).padStart(5, '0')
    perFrame.push([
      sequence(T.FrameContentSequence, [[
        text(T.FrameAcquisitionDateTime, 'DT', `202403151010${seconds}`),
        text(T.FrameReferenceDateTime, 'DT', `202403151010${seconds}`),
        text(T.StackID, 'SH', '1'),
        ul(T.InStackPositionNumber, i + 1),
        us(T.FrameAcquisitionNumber, 1),
        ul(T.DimensionIndexValues, 1, i + 1)
      ]], 'undefined'),
      sequence(T.PlanePositionSequence, [[ds(T.ImagePositionPatient, ...slicePosition(i))]], 'undefined')
    ])
  }
  const elements: Encoded[] = [
    ...commonAttributes(rng, series, ENHANCED_CT_IMAGE_STORAGE, sopInstanceUID),
    ...acquisitionAttributes(),
    text(T.ImageType, 'CS', 'ORIGINAL', 'PRIMARY', 'AXIAL', 'NONE'),
    text(T.AcquisitionDateTime, 'DT', '20240315101011.5'),
    text(T.InstanceNumber, 'IS', '1'),
    text(T.NumberOfFrames, 'IS', String(frames)),
    sequence(T.DimensionOrganizationSequence, [[text(T.DimensionOrganizationUID, 'UI', dimensionOrganizationUID)]], 'defined'),
    sequence(T.DimensionIndexSequence, [
      [text(T.DimensionOrganizationUID, 'UI', dimensionOrganizationUID), at(T.DimensionIndexPointer, T.StackID), at(T.FunctionalGroupPointer, T.FrameContentSequence)],
      [text(T.DimensionOrganizationUID, 'UI', dimensionOrganizationUID), at(T.DimensionIndexPointer, T.InStackPositionNumber), at(T.FunctionalGroupPointer, T.FrameContentSequence)]
    ], 'defined'),
    sequence(T.SharedFunctionalGroupsSequence, [shared], 'defined'),
    // Undefined length for the long sequence, as most writers stream it.
    sequence(T.PerFrameFunctionalGroupsSequence, perFrame, 'undefined')
  ]
  return Buffer.concat([
    meta(ENHANCED_CT_IMAGE_STORAGE, sopInstanceUID),
    dataset(elements),
    elementHeader(T.PixelData, 'OW', frames * FRAME_BYTES)
  ])
}
