// Helpers for the converter tests: run a produced model, write synthetic NCNN weights,
// and plain reference implementations of the layers to compare against.
import * as ort from "onnxruntime-node";
import { PortraitError } from "@portrait-upscale/shared";
import { expect } from "vitest";

export interface TensorResult {
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

/** Runs a converted model once on an NCHW float32 input named `input`. */
export async function runModel(onnx: Uint8Array, input: Float32Array, height: number, width: number): Promise<TensorResult> {
  const session = await ort.InferenceSession.create(onnx, { logSeverityLevel: 3, intraOpNumThreads: 1 });
  try {
    expect(session.inputNames).toEqual(["input"]);
    expect(session.outputNames).toEqual(["output"]);
    const result = await session.run({ input: new ort.Tensor("float32", input, [1, 3, height, width]) });
    const output = result.output;
    return { dims: output.dims, data: output.data as Float32Array };
  } finally {
    await session.release();
  }
}

/** Deterministic pseudo-random values k/denominator in [-range, range], exact in float16 for small denominators. */
export function exactValues(count: number, seed: number, denominator = 64, range = 1): Float32Array {
  let state = seed >>> 0 || 1;
  return Float32Array.from({ length: count }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const steps = Math.round(range * denominator);
    return ((state % (2 * steps + 1)) - steps) / denominator;
  });
}

/** Float16 bits of a value that float16 represents exactly (throws otherwise, to keep tests honest). */
export function float16Bits(value: number): number {
  if (value === 0) return Object.is(value, -0) ? 0x8000 : 0;
  const sign = value < 0 ? 0x8000 : 0;
  const magnitude = Math.abs(value);
  const exponent = Math.floor(Math.log2(magnitude));
  if (exponent < -14) {
    const mantissa = magnitude / 2 ** -24;
    if (!Number.isInteger(mantissa)) throw new Error(`${value} is not exact in float16`);
    return sign | mantissa;
  }
  const mantissa = (magnitude / 2 ** exponent - 1) * 1024;
  if (!Number.isInteger(mantissa) || exponent > 15) throw new Error(`${value} is not exact in float16`);
  return sign | ((exponent + 15) << 10) | mantissa;
}

/** Builds an NCNN `.bin`: tagged weight blobs and raw float32 blobs, each padded to 4 bytes. */
export class NcnnBinWriter {
  private readonly bytes: number[] = [];

  float16Weights(values: ArrayLike<number>): this {
    this.uint32(0x01306b47);
    for (const value of Array.from(values)) {
      const bits = float16Bits(value);
      this.bytes.push(bits & 0xff, bits >> 8);
    }
    return this.pad();
  }

  /** Float32 weights behind a tag: 0 (older converters) or 0x0002C056. */
  float32Weights(values: ArrayLike<number>, tag = 0): this {
    this.uint32(tag);
    return this.floats(values);
  }

  /** Raw float32 values, as biases and slopes are stored. */
  floats(values: ArrayLike<number>): this {
    const view = new DataView(new ArrayBuffer(4));
    for (const value of Array.from(values)) {
      view.setFloat32(0, value, true);
      this.bytes.push(view.getUint8(0), view.getUint8(1), view.getUint8(2), view.getUint8(3));
    }
    return this;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }

  private uint32(value: number): void {
    this.bytes.push(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff);
  }

  private pad(): this {
    while (this.bytes.length % 4 !== 0) this.bytes.push(0);
    return this;
  }
}

/** One image in planar CHW layout. */
export interface Planar {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly data: Float32Array;
}

export function planar(channels: number, height: number, width: number, data?: Float32Array): Planar {
  return { channels, height, width, data: data ?? new Float32Array(channels * height * width) };
}

export function at(image: Planar, c: number, y: number, x: number): number {
  return image.data[(c * image.height + y) * image.width + x];
}

/** Reference convolution, stride 1, zero padding [top, left, bottom, right]; weights OIHW. */
export function conv2d(
  image: Planar,
  weights: Float32Array,
  bias: Float32Array | undefined,
  outChannels: number,
  [kernelH, kernelW]: readonly [number, number],
  [padTop, padLeft, padBottom, padRight]: readonly [number, number, number, number],
): Planar {
  const out = planar(outChannels, image.height + padTop + padBottom - kernelH + 1, image.width + padLeft + padRight - kernelW + 1);
  for (let o = 0; o < outChannels; o++) {
    for (let y = 0; y < out.height; y++) {
      for (let x = 0; x < out.width; x++) {
        let sum = bias ? bias[o] : 0;
        for (let i = 0; i < image.channels; i++) {
          for (let ky = 0; ky < kernelH; ky++) {
            for (let kx = 0; kx < kernelW; kx++) {
              const sy = y + ky - padTop;
              const sx = x + kx - padLeft;
              if (sy < 0 || sx < 0 || sy >= image.height || sx >= image.width) continue;
              sum += weights[((o * image.channels + i) * kernelH + ky) * kernelW + kx] * at(image, i, sy, sx);
            }
          }
        }
        out.data[(o * out.height + y) * out.width + x] = sum;
      }
    }
  }
  return out;
}

/** Element-wise map of a planar image. */
export function mapPlanar(image: Planar, fn: (value: number, channel: number) => number): Planar {
  const plane = image.height * image.width;
  return { ...image, data: image.data.map((value, index) => fn(value, Math.floor(index / plane))) };
}

/** Expects every value within `tolerance`, reporting the first mismatch's position. */
export function expectClose(actual: Float32Array, expected: Float32Array, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  let worstIndex = -1;
  for (let index = 0; index < actual.length; index++) {
    const difference = Math.abs(actual[index] - expected[index]);
    if (!(difference <= worst)) {
      worst = difference;
      worstIndex = index;
    }
  }
  expect(worst, `largest difference at index ${worstIndex}`).toBeLessThanOrEqual(tolerance);
}

/** Runs `fn` and returns the PortraitError it throws (failing the test if it does not throw one). */
export function catchPortraitError(fn: () => unknown): PortraitError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PortraitError);
    return error as PortraitError;
  }
  throw new Error("expected a PortraitError, but nothing was thrown");
}
