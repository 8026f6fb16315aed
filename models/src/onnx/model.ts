/**
 * ONNX model description and its serialisation (onnx.proto field numbers).
 * Converters build a {@link OnnxModel}; {@link encodeOnnxModel} turns it into the file's bytes.
 */
import { MessageWriter } from "./protobuf";

/** ONNX TensorProto.DataType values used here. */
export const TensorDataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  FLOAT16: 10,
} as const;
export type TensorDataType = (typeof TensorDataType)[keyof typeof TensorDataType];

/** An initializer: raw little-endian bytes in ONNX layout. */
export interface OnnxTensor {
  readonly name: string;
  readonly dataType: TensorDataType;
  readonly dims: readonly number[];
  readonly raw: Uint8Array;
}

export type OnnxAttribute =
  | { readonly kind: "int"; readonly value: number }
  | { readonly kind: "ints"; readonly value: readonly number[] }
  | { readonly kind: "float"; readonly value: number }
  | { readonly kind: "floats"; readonly value: readonly number[] }
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "tensor"; readonly value: OnnxTensor };

/** Attribute constructors, so call sites read `attr.ints([1, 1])`. */
export const attr = {
  int: (value: number): OnnxAttribute => ({ kind: "int", value }),
  ints: (value: readonly number[]): OnnxAttribute => ({ kind: "ints", value }),
  float: (value: number): OnnxAttribute => ({ kind: "float", value }),
  floats: (value: readonly number[]): OnnxAttribute => ({ kind: "floats", value }),
  string: (value: string): OnnxAttribute => ({ kind: "string", value }),
  tensor: (value: OnnxTensor): OnnxAttribute => ({ kind: "tensor", value }),
};

export interface OnnxNode {
  readonly opType: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: Readonly<Record<string, OnnxAttribute>>;
}

/** A graph input or output; a string dimension is symbolic (dynamic). */
export interface OnnxValueInfo {
  readonly name: string;
  readonly dataType: TensorDataType;
  readonly shape: readonly (number | string)[];
}

export interface OnnxModel {
  readonly graphName: string;
  readonly opsetVersion: number;
  readonly producerName: string;
  readonly docString?: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxTensor[];
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  readonly metadata?: Readonly<Record<string, string>>;
}

const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;
/** IR version 8 is the one that goes with opset 17/18. */
const IR_VERSION = 8;

function encodeTensor(tensor: OnnxTensor): MessageWriter {
  return new MessageWriter()
    .packedInts(1, tensor.dims)
    .int(2, tensor.dataType)
    .string(8, tensor.name)
    .bytes(9, tensor.raw);
}

function encodeAttribute(name: string, attribute: OnnxAttribute): MessageWriter {
  const writer = new MessageWriter().string(1, name);
  switch (attribute.kind) {
    case "float":
      writer.float(2, attribute.value);
      break;
    case "int":
      writer.int(3, attribute.value);
      break;
    case "string":
      writer.string(4, attribute.value);
      break;
    case "tensor":
      writer.message(5, encodeTensor(attribute.value));
      break;
    case "floats":
      writer.packedFloats(7, attribute.value);
      break;
    case "ints":
      writer.packedInts(8, attribute.value);
      break;
  }
  return writer.int(20, ATTRIBUTE_TYPE[attribute.kind]);
}

function encodeNode(node: OnnxNode): MessageWriter {
  const writer = new MessageWriter();
  for (const input of node.inputs) writer.string(1, input);
  for (const output of node.outputs) writer.string(2, output);
  writer.string(3, node.name).string(4, node.opType);
  for (const [name, attribute] of Object.entries(node.attributes ?? {})) {
    writer.message(5, encodeAttribute(name, attribute));
  }
  return writer;
}

function encodeValueInfo(info: OnnxValueInfo): MessageWriter {
  const shape = new MessageWriter();
  for (const dim of info.shape) {
    const dimension = new MessageWriter();
    if (typeof dim === "number") dimension.int(1, dim);
    else dimension.string(2, dim);
    shape.message(1, dimension);
  }
  const tensorType = new MessageWriter().int(1, info.dataType).message(2, shape);
  const type = new MessageWriter().message(1, tensorType);
  return new MessageWriter().string(1, info.name).message(2, type);
}

/** Serialises a model to the bytes of an `.onnx` file. */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const graph = new MessageWriter();
  for (const node of model.nodes) graph.message(1, encodeNode(node));
  graph.string(2, model.graphName);
  for (const tensor of model.initializers) graph.message(5, encodeTensor(tensor));
  for (const input of model.inputs) graph.message(11, encodeValueInfo(input));
  for (const output of model.outputs) graph.message(12, encodeValueInfo(output));

  const opset = new MessageWriter().string(1, "").int(2, model.opsetVersion);
  const writer = new MessageWriter()
    .int(1, IR_VERSION)
    .string(2, model.producerName)
    .message(7, graph)
    .message(8, opset);
  if (model.docString) writer.string(6, model.docString);
  for (const [key, value] of Object.entries(model.metadata ?? {})) {
    writer.message(14, new MessageWriter().string(1, key).string(2, value));
  }
  return writer.finish();
}

/** Little-endian float32 bytes of `values`. */
export function float32Bytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
}

/** Little-endian int64 bytes, for shape and index initializers. */
export function int64Bytes(values: readonly number[]): Uint8Array {
  const out = new BigInt64Array(values.map((value) => BigInt(value)));
  return new Uint8Array(out.buffer);
}
