/** A job as the connection runs it: what the panel sends, what it gets back, and the state in between. */
import {
  crc32,
  crc32Hex,
  imageByteLength,
  imageHeaderOf,
  type ChunkReassembler,
  type ChunkSender,
  type DaemonMessage,
  type ImageHeader,
  type JobNote,
  type MessageOfType,
  type Overrides,
  type PixelLayout,
  type Progress,
  type ReviewCropImage,
  type ReviewReport,
} from "@portrait-upscale/shared";
import { PanelError } from "../panel-errors";

/** What a job sends: raw interleaved pixels in the daemon's representation. */
export interface JobRequest extends PixelLayout {
  readonly preset: string;
  readonly overrides: Overrides;
  /** The daemon device to run on (one `welcome.devices` lists); the daemon's default when absent. */
  readonly device?: number;
  readonly review: boolean;
  /** 16-bit samples little-endian, full range. Released once sent. */
  readonly bytes: Uint8Array;
}

export interface JobCallbacks {
  onAccepted?(jobId: string): void;
  onUpload?(sentBytes: number, totalBytes: number): void;
  onProgress?(progress: Progress): void;
  onDownload?(receivedBytes: number, totalBytes: number): void;
}

export interface JobOutcome {
  readonly jobId: string;
  readonly image: ImageHeader;
  readonly bytes: Uint8Array;
  readonly provider: string;
  readonly models: readonly string[];
  readonly timings: { readonly totalMs: number; readonly inferenceMs: number };
  readonly review?: ReviewReport;
  /** What the user should know about the result (absent from daemons without the `notes` feature). */
  readonly notes?: readonly JobNote[];
  /** The review's before/after crops, one PNG per face and region (daemons with `review-crops`). */
  readonly crops?: readonly ReviewCropImage[];
}

/** One region's before/after crop: the source enlarged (left half) beside the result (right half). */
export type { ReviewCropImage } from "@portrait-upscale/shared";

/** A running job: its outcome, and a cancel that reaches the daemon. */
export interface JobHandle {
  readonly outcome: Promise<JobOutcome>;
  cancel(): void;
}

/** A job in flight on one connection; `request` is dropped as soon as its pixels are sent. */
export interface Job {
  readonly requestId: string;
  jobId?: string;
  request: JobRequest | undefined;
  readonly header: ImageHeader;
  readonly callbacks: JobCallbacks;
  readonly resolve: (outcome: JobOutcome) => void;
  readonly reject: (error: PanelError) => void;
  cancelRequested: boolean;
  upload?: ChunkSender;
  download?: ResultDownload;
  review?: ReviewReport;
  cropsDownload?: CropsDownload;
  crops?: ReviewCropImage[];
  settled: boolean;
}

/** The result coming in: its chunks, and how many of them have been acknowledged. */
export interface ResultDownload {
  readonly reassembler: ChunkReassembler;
  readonly window: number;
  acked: number;
  readonly result: MessageOfType<DaemonMessage, "result">;
}

/** The review's crops coming in; `seen` counts their chunks so the acks go on even if one is damaged. */
export interface CropsDownload {
  reassembler: ChunkReassembler | undefined;
  readonly window: number;
  acked: number;
  seen: number;
  readonly message: MessageOfType<DaemonMessage, "review-crops">;
}

/**
 * The `submit` message's image header for `request`: its layout, byte length and CRC-32.
 * Throws INVALID_OPTION when the bytes do not match the layout.
 */
export function imageHeaderFor(request: JobRequest): ImageHeader {
  const byteLength = imageByteLength(request.width, request.height, request.channels, request.bitDepth);
  if (request.bytes.length !== byteLength) {
    throw new PanelError("INVALID_OPTION", `Expected ${byteLength} bytes for image.bytes but received ${request.bytes.length}`);
  }
  return imageHeaderOf(request, byteLength, crc32Hex(crc32(request.bytes)));
}
