/**
 * ONNX model description and its serialisation (onnx.proto field numbers).
 * Converters build a {@link OnnxModel}; {@link encodeOnnxModel} turns it into the file's bytes.
 */
import { onnxModelProto } from "./onnx-proto";

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

/** Field names as protobufjs spells the fields of onnx.proto (camelCase). */
type ProtoObject = Record<string, unknown>;

function tensorProto(tensor: OnnxTensor): ProtoObject {
  return { dims: tensor.dims, dataType: tensor.dataType, name: tensor.name, rawData: tensor.raw };
}

const ATTRIBUTE_FIELD = { float: "f", int: "i", string: "s", tensor: "t", floats: "floats", ints: "ints" } as const;

function attributeProto(name: string, attribute: OnnxAttribute): ProtoObject {
  const value =
    attribute.kind === "string"
      ? new TextEncoder().encode(attribute.value)
      : attribute.kind === "tensor"
        ? tensorProto(attribute.value)
        : attribute.value;
  return { name, [ATTRIBUTE_FIELD[attribute.kind]]: value, type: ATTRIBUTE_TYPE[attribute.kind] };
}

function nodeProto(node: OnnxNode): ProtoObject {
  return {
    input: node.inputs,
    output: node.outputs,
    name: node.name,
    opType: node.opType,
    attribute: Object.entries(node.attributes ?? {}).map(([name, attribute]) => attributeProto(name, attribute)),
  };
}

function valueInfoProto(info: OnnxValueInfo): ProtoObject {
  const dim = info.shape.map((size) => (typeof size === "number" ? { dimValue: size } : { dimParam: size }));
  return { name: info.name, type: { tensorType: { elemType: info.dataType, shape: { dim } } } };
}

/** Serialises a model to the bytes of an `.onnx` file. */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const ModelProto = onnxModelProto();
  const core = ModelProto.encode(
    ModelProto.fromObject({
      irVersion: IR_VERSION,
      producerName: model.producerName,
      graph: {
        node: model.nodes.map(nodeProto),
        name: model.graphName,
        initializer: model.initializers.map(tensorProto),
        input: model.inputs.map(valueInfoProto),
        output: model.outputs.map(valueInfoProto),
      },
      opsetImport: [{ domain: "", version: model.opsetVersion }],
    }),
  ).finish();
  // The documentation and metadata follow the graph, where the files the manifest pins have them;
  // protobuf defines concatenated messages as one merged message, so this is one ModelProto.
  const trailer = ModelProto.encode(
    ModelProto.fromObject({
      ...(model.docString ? { docString: model.docString } : {}),
      metadataProps: Object.entries(model.metadata ?? {}).map(([key, value]) => ({ key, value })),
    }),
  ).finish();
  const out = new Uint8Array(core.length + trailer.length);
  out.set(core, 0);
  out.set(trailer, core.length);
  return out;
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
