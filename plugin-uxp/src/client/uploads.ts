/** A job's upload: its image in chunk frames, paced by the daemon's credit window and by the socket's own buffer. */
import { ChunkSender, type DaemonMessage, type MessageOfType } from "@portrait-upscale/shared";
import type { Job } from "./job";
import type { SocketLike } from "./socket";

/** Pause while the socket's buffer holds more than a chunk. */
const BUFFER_POLL_MS = 4;

/**
 * The sender of `job`'s pixels on `socket` once the daemon has `accepted` it. A frame is not
 * sent (the sender stops) once the job is settled or cancelled or `isOpen` says the
 * connection is gone.
 */
export function jobUpload(job: Job, accepted: MessageOfType<DaemonMessage, "accepted">, socket: SocketLike, isOpen: () => boolean): ChunkSender {
  const total = job.header.byteLength;
  const upload = new ChunkSender({
    transferId: accepted.transferId,
    byteLength: total,
    chunkBytes: accepted.chunkBytes,
    window: accepted.window,
    read: (offset, length) => (job.request?.bytes ?? new Uint8Array(0)).subarray(offset, offset + length),
    send: async (frame) => {
      // A UXP socket closes itself when its send buffer overflows: wait for room first.
      while (socket.bufferedAmount > accepted.chunkBytes) {
        if (job.settled || job.cancelRequested || !isOpen()) return false;
        await new Promise((resolve) => setTimeout(resolve, BUFFER_POLL_MS));
      }
      if (job.settled || job.cancelRequested || !isOpen()) return false;
      socket.send(frame);
      job.callbacks.onUpload?.(Math.min(total, upload.bytesSent + accepted.chunkBytes), total);
      return true;
    },
  });
  return upload;
}
