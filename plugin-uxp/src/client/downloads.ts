/** A job's downloads: the result's chunks and the review's crops, taken in and acknowledged as they arrive. */
import { ChunkReassembler, chunkCount, type ChunkFrame, type DaemonMessage, type MessageOfType } from "@portrait-upscale/shared";
import type { CropsDownload, Job, JobOutcome, ResultDownload } from "./job";

/** Sends an `ack` for `received` chunks of a transfer. */
export type Acknowledge = (transferId: number, received: number) => void;

/** Whether to acknowledge now: every half window, so the daemon's credit never runs dry, and at the end. */
export function dueForAck(received: number, acked: number, window: number, last: boolean): boolean {
  return last || received - acked >= Math.max(1, Math.floor(window / 2));
}

/** The download of the result `message` announces; throws for a header the reassembler refuses. */
export function resultDownload(message: MessageOfType<DaemonMessage, "result">): ResultDownload {
  return {
    reassembler: new ChunkReassembler({
      transferId: message.transferId,
      byteLength: message.image.byteLength,
      chunkBytes: message.chunkBytes,
      crc32: message.image.crc32,
    }),
    window: message.window,
    acked: 0,
    result: message,
  };
}

/** The download of the review's crops `message` announces; never throws. */
export function cropsDownload(message: MessageOfType<DaemonMessage, "review-crops">): CropsDownload {
  let reassembler: ChunkReassembler | undefined;
  try {
    reassembler = new ChunkReassembler({ transferId: message.transferId, byteLength: message.byteLength, chunkBytes: message.chunkBytes, crc32: message.crc32 });
  } catch {
    // Thumbnails are a nicety: without them the chunks are still acknowledged so the result follows.
    reassembler = undefined;
  }
  return { reassembler, window: message.window, acked: 0, seen: 0, message };
}

/** Takes a chunk of `job`'s review crops; once the last arrives, the crops that came whole are on the job. */
export function takeCropChunk(job: Job, crops: CropsDownload, frame: ChunkFrame, acknowledge: Acknowledge): void {
  crops.seen += 1;
  try {
    crops.reassembler?.push(frame);
  } catch {
    // A damaged crop transfer costs the thumbnails, never the result.
    crops.reassembler = undefined;
  }
  const count = chunkCount(crops.message.byteLength, crops.message.chunkBytes);
  const last = crops.seen >= count;
  // The daemon sends the result only once every crop chunk is acknowledged.
  if (dueForAck(crops.seen, crops.acked, crops.window, last)) {
    crops.acked = Math.min(crops.seen, count);
    acknowledge(frame.transferId, crops.acked);
  }
  if (!last) return;
  const reassembler = crops.reassembler;
  job.cropsDownload = undefined;
  if (reassembler?.complete) {
    const bytes = reassembler.finish();
    let offset = 0;
    job.crops = crops.message.crops.map((crop) => {
      const png = bytes.slice(offset, offset + crop.byteLength);
      offset += crop.byteLength;
      return { ...(crop.face !== undefined ? { face: crop.face } : {}), region: crop.region, width: crop.width, height: crop.height, png };
    });
  }
}

/** What a finished job hands the panel: the result's pixels and facts, with the review and crops gathered on the way. */
export function jobOutcome(job: Job, download: ResultDownload): JobOutcome {
  const { result } = download;
  return {
    jobId: result.jobId,
    image: result.image,
    bytes: download.reassembler.finish(),
    provider: result.provider,
    models: result.models,
    timings: result.timings,
    ...(job.review !== undefined ? { review: job.review } : {}),
    ...(result.notes !== undefined ? { notes: result.notes } : {}),
    ...(job.crops !== undefined ? { crops: job.crops } : {}),
  };
}
