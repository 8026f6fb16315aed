/**
 * A static QDQ int8 quantizer for the convolutional super-resolution models, for the int8
 * study (docs/int8.md): weights per output channel, symmetric int8; activations per tensor,
 * asymmetric uint8, from ranges observed on calibration crops; biases int32 at the product
 * of the two scales, the form onnxruntime fuses into QLinearConv.
 */
import { onnxModelProto } from "./onnx/onnx-proto";
import { TensorDataType } from "./onnx/model";
import { float16Value } from "./fp16";

/**
 * Weights use 7 bits (±63), onnxruntime's "reduce_range": without AVX-512 VNNI its u8×s8
 * kernels add pairs of products in saturating 16-bit lanes, which full-range weights overflow.
 */
const WEIGHT_LEVELS = 63;

/** A tensor's observed range. */
export interface Range {
  min: number;
  max: number;
}

interface Tensor {
  name: string;
  dataType: number;
  dims: (number | { toNumber(): number })[];
  rawData?: Uint8Array;
  floatData?: number[];
}
interface Node {
  opType: string;
  name: string;
  input: string[];
  output: string[];
  attribute: { name: string; i?: unknown; type?: number }[];
}
interface Model {
  graph: { node: Node[]; initializer: Tensor[]; output: { name: string; type?: unknown }[]; valueInfo: unknown[] };
}

function decode(bytes: Uint8Array): Model {
  const proto = onnxModelProto();
  return proto.toObject(proto.decode(bytes), { arrays: true }) as Model;
}

function encode(model: Model): Uint8Array {
  const proto = onnxModelProto();
  return proto.encode(proto.fromObject(model)).finish();
}

/** Every Conv's activation input and output: the tensors whose ranges calibration records. */
export function calibrationTensors(bytes: Uint8Array): string[] {
  const names = new Set<string>();
  for (const node of decode(bytes).graph.node) if (node.opType === "Conv") for (const name of [node.input[0], node.output[0]]) names.add(name);
  return [...names];
}

/** The model with {@link calibrationTensors} added to its outputs, to observe their ranges. */
export function calibrationModel(bytes: Uint8Array): Uint8Array {
  const model = decode(bytes);
  const present = new Set(model.graph.output.map((output) => output.name));
  for (const name of calibrationTensors(bytes)) {
    if (!present.has(name)) model.graph.output.push({ name, type: { tensorType: { elemType: TensorDataType.FLOAT } } });
  }
  return encode(model);
}

/** The QDQ int8 model; `ranges` must hold every tensor of {@link calibrationTensors}. */
export function quantizeQdq(bytes: Uint8Array, ranges: ReadonlyMap<string, Range>): Uint8Array {
  const model = decode(bytes);
  const graph = model.graph;
  const initializers = new Map(graph.initializer.map((tensor) => [tensor.name, tensor]));
  // Weights the ncnn converter stores as fp16 behind a Cast: read through the Cast.
  const castSources = new Map<string, string>();
  for (const node of graph.node) if (node.opType === "Cast" && initializers.has(node.input[0])) castSources.set(node.output[0], node.input[0]);
  const added: Tensor[] = [];
  const nodes: Node[] = [];
  const activationQdq = new Map<string, string>();
  const quantized = (name: string): string => {
    let out = activationQdq.get(name);
    if (out === undefined) {
      const range = ranges.get(name);
      if (range === undefined) throw new Error(`No calibration range for ${name}`);
      const { scale, zeroPoint } = uint8Parameters(range);
      added.push(floatTensor(`${name}_scale`, [], [scale]), { name: `${name}_zp`, dataType: TensorDataType.UINT8, dims: [], rawData: Uint8Array.of(zeroPoint) });
      nodes.push(qdqNode("QuantizeLinear", name, `${name}_q`, [`${name}_scale`, `${name}_zp`]));
      nodes.push(qdqNode("DequantizeLinear", `${name}_q`, `${name}_dq`, [`${name}_scale`, `${name}_zp`]));
      out = `${name}_dq`;
      activationQdq.set(name, out);
    }
    return out;
  };
  const outputRenames = new Map<string, string>();
  for (const node of graph.node) {
    if (node.opType === "Cast" && castSources.has(node.output[0])) continue;
    if (node.opType !== "Conv") {
      nodes.push({ ...node, input: node.input.map((name) => outputRenames.get(name) ?? name) });
      continue;
    }
    const input = quantized(outputRenames.get(node.input[0]) ?? node.input[0]);
    const weightName = castSources.get(node.input[1]) ?? node.input[1];
    const weight = readFloats(initializers.get(weightName)!);
    const dims = initializers.get(weightName)!.dims.map(Number);
    const channels = dims[0];
    const perChannel = weight.length / channels;
    const weightScales = new Float32Array(channels);
    const weightQ = new Int8Array(weight.length);
    for (let c = 0; c < channels; c++) {
      let peak = 0;
      for (let i = 0; i < perChannel; i++) peak = Math.max(peak, Math.abs(weight[c * perChannel + i]));
      weightScales[c] = peak > 0 ? peak / WEIGHT_LEVELS : 1;
      for (let i = 0; i < perChannel; i++) weightQ[c * perChannel + i] = Math.round(weight[c * perChannel + i] / weightScales[c]);
    }
    const w = `${node.name}_w`;
    added.push(
      { name: `${w}_q`, dataType: TensorDataType.INT8, dims, rawData: new Uint8Array(weightQ.buffer) },
      floatTensor(`${w}_scale`, [channels], Array.from(weightScales)),
      { name: `${w}_zp`, dataType: TensorDataType.INT8, dims: [channels], rawData: new Uint8Array(channels) },
    );
    nodes.push(qdqNode("DequantizeLinear", `${w}_q`, `${w}_dq`, [`${w}_scale`, `${w}_zp`], 0));
    const inputs = [input, `${w}_dq`];
    if (node.input[2]) {
      const bias = readFloats(initializers.get(castSources.get(node.input[2]) ?? node.input[2])!);
      const { scale: inputScale } = uint8Parameters(ranges.get(outputRenames.get(node.input[0]) ?? node.input[0])!);
      const biasScales = Array.from(weightScales, (scale) => scale * inputScale);
      const biasQ = Int32Array.from(bias, (value, c) => Math.round(value / biasScales[c]));
      const b = `${node.name}_b`;
      added.push(
        { name: `${b}_q`, dataType: TensorDataType.INT32, dims: [channels], rawData: new Uint8Array(biasQ.buffer) },
        floatTensor(`${b}_scale`, [channels], biasScales),
        { name: `${b}_zp`, dataType: TensorDataType.INT32, dims: [channels], rawData: new Uint8Array(4 * channels) },
      );
      nodes.push(qdqNode("DequantizeLinear", `${b}_q`, `${b}_dq`, [`${b}_scale`, `${b}_zp`], 0));
      inputs.push(`${b}_dq`);
    }
    nodes.push({ ...node, input: inputs });
    // The output's own Q/DQ pair lets onnxruntime fuse DQ → Conv → Q into one QLinearConv.
    outputRenames.set(node.output[0], quantized(node.output[0]));
  }
  graph.node = nodes;
  graph.initializer = [...graph.initializer.filter((tensor) => isReferenced(tensor.name, nodes)), ...added];
  graph.valueInfo = [];
  return encode(model);
}

/** Whether a node still reads the tensor (the float weights replaced by int8 ones are not). */
function isReferenced(name: string, nodes: readonly Node[]): boolean {
  return nodes.some((node) => node.input.includes(name));
}

function uint8Parameters(range: Range): { scale: number; zeroPoint: number } {
  const min = Math.min(0, range.min);
  const max = Math.max(0, range.max);
  const scale = max > min ? (max - min) / 255 : 1;
  return { scale, zeroPoint: Math.max(0, Math.min(255, Math.round(-min / scale))) };
}

function qdqNode(opType: "QuantizeLinear" | "DequantizeLinear", input: string, output: string, parameters: string[], axis?: number): Node {
  return {
    opType,
    name: `${output}_node`,
    input: [input, ...parameters],
    output: [output],
    attribute: axis === undefined ? [] : [{ name: "axis", i: axis, type: 2 }],
  };
}

function floatTensor(name: string, dims: number[], values: number[]): Tensor {
  return { name, dataType: TensorDataType.FLOAT, dims, rawData: new Uint8Array(Float32Array.from(values).buffer) };
}

function readFloats(tensor: Tensor): Float32Array {
  const raw = tensor.rawData ?? new Uint8Array();
  if (tensor.dataType === TensorDataType.FLOAT16) {
    const bits = new Uint16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    return Float32Array.from(bits, float16Value);
  }
  if (raw.length > 0) return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  return Float32Array.from(tensor.floatData ?? []);
}
