/**
 * The fp16 variant of a converted model, for GPU providers that compute faster and in half the
 * memory in half precision (CUDA, DirectML, CoreML's ML Program). Weights and activations
 * become float16; the graph's float32 inputs and outputs are kept, with Cast nodes at the edges
 * ("keep_io_types"), so callers feed and read the same tensors as with the fp32 model.
 */
import { PortraitError } from "@portrait-upscale/shared";
import { onnxModelProto } from "./onnx/onnx-proto";
import { TensorDataType } from "./onnx/model";

/**
 * Operators whose float inputs and outputs may all be float16 on the GPU providers, except the
 * inputs listed in {@link FLOAT32_INPUTS}. A model with any other operator stays fp32: the
 * converter refuses it rather than guess.
 */
const FP16_OPS = new Set(["Conv", "Relu", "LeakyRelu", "PRelu", "Add", "Mul", "Concat", "DepthToSpace", "Resize", "Cast"]);

/** Inputs that the ONNX operator defines as float32 whatever the data's type (Resize's roi and scales). */
const FLOAT32_INPUTS: Readonly<Record<string, readonly number[]>> = { Resize: [1, 2] };

/** The protobufjs objects this module edits (onnx.proto field names in camelCase). */
interface TensorMessage {
  name: string;
  dataType: number;
  dims: unknown[];
  rawData?: Uint8Array;
  floatData?: number[];
}
interface AttributeMessage {
  name: string;
  i?: unknown;
}
interface NodeMessage {
  opType: string;
  name: string;
  input: string[];
  output: string[];
  attribute: AttributeMessage[];
}
interface ValueInfoMessage {
  name: string;
  type?: { tensorType?: { elemType?: number } };
}
interface GraphMessage {
  node: NodeMessage[];
  initializer: TensorMessage[];
  input: ValueInfoMessage[];
  output: ValueInfoMessage[];
  valueInfo: ValueInfoMessage[];
}
interface ModelMessage {
  graph: GraphMessage;
  metadataProps: { key: string; value: string }[];
}

/**
 * Converts an fp32 ONNX model's bytes to its fp16 variant's bytes. Deterministic (the manifest
 * pins the result's sha256). Throws INTERNAL naming the operator when the model has one that
 * is not known to be safe in float16.
 */
export function convertToFp16(bytes: Uint8Array): Uint8Array {
  const ModelProto = onnxModelProto();
  const model = ModelProto.toObject(ModelProto.decode(bytes), { defaults: false, arrays: true }) as ModelMessage;
  const graph = model.graph;
  const unsupported = [...new Set(graph.node.map((node) => node.opType).filter((op) => !FP16_OPS.has(op)))];
  if (unsupported.length > 0) {
    throw new PortraitError("INTERNAL", `The model has operators not converted to fp16: ${unsupported.join(", ")}.`, { unsupported });
  }
  const initializers = new Map(graph.initializer.map((tensor) => [tensor.name, tensor]));

  // The ncnn converter stores weights as float16 with a Cast up to float32: feed them directly.
  const renamed = new Map<string, string>();
  graph.node = graph.node.filter((node) => {
    const source = initializers.get(node.input[0]);
    const upcast = node.opType === "Cast" && source?.dataType === TensorDataType.FLOAT16 && castTarget(node) === TensorDataType.FLOAT;
    if (upcast) renamed.set(node.output[0], node.input[0]);
    return !upcast;
  });
  const keptFloat32 = new Set<string>();
  for (const node of graph.node) {
    node.input = node.input.map((name) => renamed.get(name) ?? name);
    for (const index of FLOAT32_INPUTS[node.opType] ?? []) if (node.input[index]) keptFloat32.add(node.input[index]);
    if (node.opType === "Cast" && castTarget(node) === TensorDataType.FLOAT) setCastTarget(node, TensorDataType.FLOAT16);
  }
  for (const tensor of graph.initializer) {
    if (tensor.dataType === TensorDataType.FLOAT && !keptFloat32.has(tensor.name)) halveTensor(tensor);
  }

  const edgeCasts = { inputs: [] as NodeMessage[], outputs: [] as NodeMessage[] };
  for (const input of graph.input.filter(isFloat32Value)) {
    const inner = `${input.name}_fp16`;
    for (const node of graph.node) node.input = node.input.map((name) => (name === input.name ? inner : name));
    edgeCasts.inputs.push(castNode(input.name, inner, TensorDataType.FLOAT16));
  }
  for (const output of graph.output.filter(isFloat32Value)) {
    const inner = `${output.name}_fp16`;
    for (const node of graph.node) {
      node.input = node.input.map((name) => (name === output.name ? inner : name));
      node.output = node.output.map((name) => (name === output.name ? inner : name));
    }
    edgeCasts.outputs.push(castNode(inner, output.name, TensorDataType.FLOAT));
  }
  graph.node = [...edgeCasts.inputs, ...graph.node, ...edgeCasts.outputs];
  // Intermediate shapes and types are inferred again by the runtime; stale float32 ones would contradict it.
  graph.valueInfo = [];
  model.metadataProps = [...(model.metadataProps ?? []).filter((entry) => entry.key !== "precision"), { key: "precision", value: "fp16" }];
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

function castTarget(node: NodeMessage): number | undefined {
  const to = node.attribute.find((attribute) => attribute.name === "to");
  return to === undefined ? undefined : Number(to.i);
}

function setCastTarget(node: NodeMessage, target: number): void {
  node.attribute = node.attribute.map((attribute) => (attribute.name === "to" ? { ...attribute, i: target } : attribute));
}

function castNode(input: string, output: string, target: number): NodeMessage {
  return { opType: "Cast", name: `${output}_cast`, input: [input], output: [output], attribute: [{ name: "to", i: target, type: 2 } as AttributeMessage] };
}

function isFloat32Value(value: ValueInfoMessage): boolean {
  return value.type?.tensorType?.elemType === TensorDataType.FLOAT;
}

function halveTensor(tensor: TensorMessage): void {
  const values =
    tensor.rawData && tensor.rawData.length > 0
      ? new Float32Array(tensor.rawData.buffer.slice(tensor.rawData.byteOffset, tensor.rawData.byteOffset + tensor.rawData.byteLength))
      : Float32Array.from(tensor.floatData ?? []);
  const halves = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) halves[i] = float16Bits(values[i]);
  tensor.dataType = TensorDataType.FLOAT16;
  tensor.rawData = new Uint8Array(halves.buffer);
  delete tensor.floatData;
}

const scratch = new DataView(new ArrayBuffer(4));

/**
 * IEEE 754 half-precision bits of `value`, rounded to nearest even. Finite values beyond the
 * half range are clamped to ±65504 rather than becoming infinities, as onnxconverter-common does.
 */
export function float16Bits(value: number): number {
  scratch.setFloat32(0, value);
  const bits = scratch.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7bff;
  if (halfExponent <= 0) {
    // Subnormal half (or zero): shift the implicit leading one in, then round.
    if (halfExponent < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - halfExponent;
    return sign | roundShift(full, shift);
  }
  const rounded = (halfExponent << 10) + roundShift(mantissa, 13);
  return rounded >= 0x7c00 ? sign | 0x7bff : sign | rounded;
}

/** `value >> shift`, rounded to nearest with ties to even. */
function roundShift(value: number, shift: number): number {
  const kept = value >>> shift;
  const rest = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rest > half || (rest === half && (kept & 1) === 1) ? kept + 1 : kept;
}

/** The float value of half-precision `bits` (for tests and checks). */
export function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
