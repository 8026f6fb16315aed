/**
 * Checks a brought model for its role: the declared opset and tensor shapes first (from the
 * file), then a run on a tiny image, which gives the model's scale and value range as they
 * really are. Every failure is INVALID_OPTION (the file is the option at fault) with the
 * reason and what was expected.
 */
import { PortraitError } from "@portrait-upscale/shared";
import { InferencePool } from "../inference/index";
import { ONNX_FLOAT, onnxFacts, type OnnxDim, type OnnxFacts, type OnnxTensorFacts } from "./onnx-facts";

/** What a brought model is used for. */
export const USER_MODEL_ROLES = ["detail", "fidelity", "face-restore"] as const;
export type UserModelRole = (typeof USER_MODEL_ROLES)[number];

/** The oldest opset accepted: the one the converted models use (DepthToSpace CRD, Resize 13+). */
export const MIN_OPSET = 13;
/** The side of the aligned face a face-restore model takes (GFPGAN, CodeFormer, RestoreFormer). */
export const FACE_RESTORE_SIZE = 512;
/** Scales an upscaling model may have. */
const MAX_NATIVE_SCALE = 8;
/** Probe image sides for upscaling models: small, and unequal so a transposing model shows. */
const PROBE_WIDTH = 24;
const PROBE_HEIGHT = 16;

/** What the probe found. */
export interface ProbedModel {
  readonly role: UserModelRole;
  readonly opset: number;
  readonly inputName: string;
  readonly outputName: string;
  /** Output side ÷ input side (1 for face-restore). */
  readonly nativeScale: number;
  /** The value range of the model's input and output. */
  readonly range: readonly [number, number];
}

/** An INVALID_OPTION error naming the file, the role and the reason. */
export function modelInvalid(path: string, role: string, reason: string): PortraitError {
  return new PortraitError("INVALID_OPTION", `${path} cannot be used as a ${role} model: ${reason}.`, { path, role, reason });
}

/**
 * Validates `bytes` (the file at `path`) for `role` and measures it on a tiny image.
 *
 * @example const probed = await probeUserModel("my-x2.onnx", bytes, "detail"); probed.nativeScale // 2
 */
export async function probeUserModel(path: string, bytes: Uint8Array, role: UserModelRole): Promise<ProbedModel> {
  const fail = (reason: string): PortraitError => modelInvalid(path, role, reason);
  let facts: OnnxFacts;
  try {
    facts = onnxFacts(bytes);
  } catch (error) {
    throw fail(`the file is not an ONNX model (${(error as Error).message})`);
  }
  if (facts.opset === undefined || facts.opset < MIN_OPSET) throw fail(`opset ${facts.opset ?? "none"} is older than ${MIN_OPSET}; export it again with opset ${MIN_OPSET} or newer`);
  if (facts.inputs.length !== 1 || facts.outputs.length !== 1) throw fail(`it has ${facts.inputs.length} inputs and ${facts.outputs.length} outputs; one image in and one out is expected`);
  const [input] = facts.inputs;
  const [output] = facts.outputs;
  checkImageTensor(input, role, "input", fail);
  checkImageTensor(output, role, "output", fail);

  const pool = new InferencePool({ resolveModelPath: () => path, intraOpThreads: 1 });
  try {
    const run = async (data: Float32Array, width: number, height: number): Promise<{ data: Float32Array; dims: readonly number[] }> => {
      try {
        const result = await pool.run("user-model-probe", [{ data: data.slice(), dims: [1, 3, height, width] }]);
        const tensor = result.outputs[result.outputNames[0]];
        return { data: tensor.data as Float32Array, dims: tensor.dims };
      } catch (error) {
        throw fail(`it did not run on a ${width}×${height} image (${(error as Error).message})`);
      }
    };
    if (role === "face-restore") return await probeFaceRestore(run, facts, fail, role);
    return await probeUpscaler(run, facts, fail, role);
  } finally {
    await pool.close();
  }
}

type Run = (data: Float32Array, width: number, height: number) => Promise<{ data: Float32Array; dims: readonly number[] }>;
type Fail = (reason: string) => PortraitError;

function checkImageTensor(tensor: OnnxTensorFacts, role: UserModelRole, which: string, fail: Fail): void {
  if (tensor.elementType !== ONNX_FLOAT) throw fail(`its ${which} is not float32 (ONNX type ${tensor.elementType})`);
  if (tensor.shape.length !== 4) throw fail(`its ${which} has ${tensor.shape.length} dimensions; NCHW (4) is expected`);
  if (!fits(tensor.shape[1], 3)) throw fail(`its ${which} has ${tensor.shape[1]} channels; RGB (3) is expected`);
  if (role === "face-restore") {
    if (!fits(tensor.shape[2], FACE_RESTORE_SIZE) || !fits(tensor.shape[3], FACE_RESTORE_SIZE)) {
      throw fail(`its ${which} is ${tensor.shape[2]}×${tensor.shape[3]}; an aligned ${FACE_RESTORE_SIZE}×${FACE_RESTORE_SIZE} face is expected`);
    }
  } else if (typeof tensor.shape[2] === "number" || typeof tensor.shape[3] === "number") {
    throw fail(`its ${which} has a fixed size (${tensor.shape.join("×")}); tiles of any size need free height and width`);
  }
}

function fits(dim: OnnxDim, size: number): boolean {
  return dim === null || typeof dim === "string" || dim === size;
}

/** A smooth diagonal gradient with a bright square: every value 0..1 is used, and edges exist. */
function probeImage(width: number, height: number, low: number, high: number): Float32Array {
  const data = new Float32Array(3 * width * height);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const square = x >= width / 4 && x < width / 2 && y >= height / 4 && y < height / 2;
        const t = square ? 0.9 : (0.1 + 0.6 * (x / width + y / height) / 2) * (1 - 0.1 * c);
        data[c * width * height + y * width + x] = low + (high - low) * t;
      }
  return data;
}

function valueRange(data: Float32Array): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of data) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return [min, max];
}

/** Mean of a 0..1 probe's output against its input, area-reduced to the input's size. */
function meanAbsoluteDifference(output: Float32Array, input: Float32Array, width: number, height: number, scale: number): number {
  let sum = 0;
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        let s = 0;
        for (let j = 0; j < scale; j++)
          for (let i = 0; i < scale; i++) s += output[c * width * height * scale * scale + (y * scale + j) * width * scale + x * scale + i];
        sum += Math.abs(s / (scale * scale) - input[c * width * height + y * width + x]);
      }
  return sum / (3 * width * height);
}

/** The largest mean difference from the input (after reduction) an upscaler may show: 0.1 of the range. */
const MAX_PROBE_DIFFERENCE = 0.1;

async function probeUpscaler(run: Run, facts: OnnxFacts, fail: Fail, role: UserModelRole): Promise<ProbedModel> {
  const input = probeImage(PROBE_WIDTH, PROBE_HEIGHT, 0, 1);
  const out = await run(input, PROBE_WIDTH, PROBE_HEIGHT);
  const [, channels, height, width] = out.dims;
  if (out.dims.length !== 4 || channels !== 3) throw fail(`it returned a [${out.dims.join(", ")}] tensor, not an RGB image`);
  const scale = width / PROBE_WIDTH;
  if (height / PROBE_HEIGHT !== scale || !Number.isInteger(scale) || scale < 1 || scale > MAX_NATIVE_SCALE) {
    throw fail(`it turned ${PROBE_WIDTH}×${PROBE_HEIGHT} into ${width}×${height}; a whole scale from 1 to ${MAX_NATIVE_SCALE}, the same both ways, is expected`);
  }
  const [min, max] = valueRange(out.data);
  if (min < -0.1 || max > 1.1) throw fail(`its output spans ${min.toFixed(2)}..${max.toFixed(2)} for an input in 0..1; RGB in 0..1 in and out is expected`);
  const difference = meanAbsoluteDifference(out.data, input, PROBE_WIDTH, PROBE_HEIGHT, scale);
  if (difference > MAX_PROBE_DIFFERENCE) throw fail(`its output reduced to the input's size differs from the input by ${difference.toFixed(2)} on average; an upscaler keeps the image (RGB 0..1, not BGR or 0..255)`);
  return { role, opset: facts.opset!, inputName: facts.inputs[0].name, outputName: facts.outputs[0].name, nativeScale: scale, range: [0, 1] };
}

async function probeFaceRestore(run: Run, facts: OnnxFacts, fail: Fail, role: UserModelRole): Promise<ProbedModel> {
  const size = FACE_RESTORE_SIZE;
  // GFPGAN-style exports take and give −1..1; others 0..1. A 0..1 model fed −1..1 clips or
  // drifts from its input, so the first range that the output follows is the model's.
  for (const range of [
    [-1, 1],
    [0, 1],
  ] as const) {
    const input = probeImage(size, size, range[0], range[1]);
    const out = await run(input, size, size);
    if (out.dims.length !== 4 || out.dims[1] !== 3 || out.dims[2] !== size || out.dims[3] !== size) {
      throw fail(`it returned a [${out.dims.join(", ")}] tensor; a ${size}×${size} RGB face is expected`);
    }
    const span = range[1] - range[0];
    const normalise = (data: Float32Array): Float32Array => data.map((v) => (v - range[0]) / span);
    const difference = meanAbsoluteDifference(normalise(out.data), normalise(input), size, size, 1);
    const [min, max] = valueRange(out.data);
    if (min >= range[0] - 0.1 * span && max <= range[1] + 0.1 * span && difference <= 2 * MAX_PROBE_DIFFERENCE) {
      return { role, opset: facts.opset!, inputName: facts.inputs[0].name, outputName: facts.outputs[0].name, nativeScale: 1, range };
    }
  }
  throw fail("its output does not follow its input in either −1..1 or 0..1; an RGB face restorer is expected");
}
