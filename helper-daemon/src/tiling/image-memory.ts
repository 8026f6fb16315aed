/**
 * What a job holds besides its model sessions: the process itself, the buffers that grow with
 * the image, and one portrait pass window's planes. The tile planner reserves these before it
 * sizes tiles (tiling/job-tiles.ts); the memory bench prints and projects the same figures.
 */

/**
 * The process before the first model run: Node, sharp, onnxruntime and the worker thread.
 * An allowance, not a measurement per machine: the memory bench's runs at 512² and 1 MP
 * measure the whole peak against it (docs/architecture.md, "Memory of a whole job").
 */
export const PROCESS_BASELINE_BYTES = 320 * 1024 ** 2;

/**
 * Planes a portrait pass holds for one window, per output pixel of the window (with its
 * context): the branches, their luma, the masks and the blend's (docs/architecture.md, "Windows").
 */
export const PASS_WINDOW_BYTES_PER_OUTPUT_PIXEL = 300;

/**
 * Planes the window that calibrates the light detail model's gain keeps from its model runs
 * until its turn, per output pixel of the window: the Lanczos-3 base and the fidelity, light
 * and detail branches, float RGB (portrait/light-gain.ts). Only a pass of several windows holds
 * them beside another window's planes.
 */
export const CALIBRATION_WINDOW_BYTES_PER_OUTPUT_PIXEL = 48;

/** One buffer that grows with the image: bytes per input pixel. */
export interface ImageSizedBuffer {
  readonly name: string;
  readonly bytesPerInputPixel: number;
}

/** The output's samples: channels and bit depth of the file written. */
export interface OutputLayout {
  readonly channels: number;
  readonly bitDepth: 8 | 16;
}

/**
 * The buffers of a `scale`× portrait run that grow with the image, largest first as the code
 * holds them: the decoded source (interleaved samples, then planar float), its luma (routing),
 * and the result, kept in its final bit depth (`sinkOutput`) or, as before, as planar float
 * plus the encoder's interleaved copy.
 * @example imageSizedBuffers({ channels: 3, bitDepth: 8 }, 2, true) // source float 12 B, result samples 12 B, …
 */
export function imageSizedBuffers(output: OutputLayout, scale: number, sinkOutput: boolean): ImageSizedBuffer[] {
  const outPerIn = scale * scale;
  const sampleBytes = output.channels * (output.bitDepth / 8);
  const buffers: ImageSizedBuffer[] = [
    { name: "decoded source samples (sharp, interleaved)", bytesPerInputPixel: sampleBytes },
    { name: "source as planar float RGB", bytesPerInputPixel: 12 },
    { name: "source luma (routing)", bytesPerInputPixel: 4 },
  ];
  if (sinkOutput) buffers.push({ name: `result in its final samples (${output.bitDepth}-bit, ${output.channels} channels)`, bytesPerInputPixel: sampleBytes * outPerIn });
  else {
    buffers.push({ name: "result as planar float RGB", bytesPerInputPixel: 12 * outPerIn });
    buffers.push({ name: "encoder's interleaved copy of the result", bytesPerInputPixel: sampleBytes * outPerIn });
  }
  return buffers;
}

/** What {@link reservedBytes} reserves for. */
export interface ReservedOptions {
  readonly width: number;
  readonly height: number;
  readonly scale: number;
  /** The file written; 8-bit RGB (RGBA with alpha) unless known. */
  readonly output: OutputLayout;
  /** The largest portrait pass window with its context, source pixels per side; 0 for a bare model run. */
  readonly passWindow: number;
  /** Whether the result is kept in its final samples (a portrait run) or as float, as a bare run does. */
  readonly sinkOutput: boolean;
  /** Whether a pass of several windows keeps the calibrating window's runs (see {@link CALIBRATION_WINDOW_BYTES_PER_OUTPUT_PIXEL}). */
  readonly calibrationWindow?: boolean;
}

/**
 * Bytes a job holds outside its model sessions: the process baseline, the image-sized buffers
 * (see {@link imageSizedBuffers}) and one pass window's planes (and the calibrating window's runs).
 * @example reservedBytes({ width: 6000, height: 4000, scale: 2, output: { channels: 3, bitDepth: 8 }, passWindow: 1090, sinkOutput: true }) // ≈ 2.5 GB
 */
export function reservedBytes(options: ReservedOptions): number {
  const perInputPixel = imageSizedBuffers(options.output, options.scale, options.sinkOutput).reduce((sum, buffer) => sum + buffer.bytesPerInputPixel, 0);
  const window = Math.min(options.passWindow, options.width) * Math.min(options.passWindow, options.height) * options.scale * options.scale;
  const windowBytes = PASS_WINDOW_BYTES_PER_OUTPUT_PIXEL + (options.calibrationWindow ? CALIBRATION_WINDOW_BYTES_PER_OUTPUT_PIXEL : 0);
  return PROCESS_BASELINE_BYTES + perInputPixel * options.width * options.height + windowBytes * window;
}
