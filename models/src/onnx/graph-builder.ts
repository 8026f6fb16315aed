/**
 * Builds an {@link OnnxModel} node by node, for the converters.
 * Names are checked for uniqueness so that a converter bug surfaces here, not as an
 * obscure onnxruntime load failure.
 */
import {
  encodeOnnxModel,
  float32Bytes,
  int64Bytes,
  TensorDataType,
  type OnnxAttribute,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from "./model";

/** The opset every produced model declares (the engine relies on it). */
export const OPSET_VERSION = 17;
/** Written into every produced model's `producer_name`. */
export const PRODUCER_NAME = "portrait-upscale";

/** The image I/O convention of every produced model: float32 NCHW, RGB, dynamic height and width. */
export const IMAGE_INPUT: OnnxValueInfo = {
  name: "input",
  dataType: TensorDataType.FLOAT,
  shape: [1, 3, "height", "width"],
};
export const IMAGE_OUTPUT: OnnxValueInfo = {
  name: "output",
  dataType: TensorDataType.FLOAT,
  shape: [1, 3, "output_height", "output_width"],
};

export class OnnxGraphBuilder {
  private readonly nodes: OnnxNode[] = [];
  private readonly initializers: OnnxTensor[] = [];
  /** Every tensor name defined so far (graph inputs, initializers, node outputs). */
  private readonly defined = new Set<string>();
  private readonly nodeNames = new Set<string>();

  constructor(graphInputs: readonly string[]) {
    for (const name of graphInputs) this.define(name);
  }

  /** True when a tensor of that name exists (so a later node may consume it). */
  has(name: string): boolean {
    return this.defined.has(name);
  }

  /** Appends a node; its inputs must already exist ("" marks an omitted optional input). */
  node(
    opType: string,
    name: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attributes?: Readonly<Record<string, OnnxAttribute>>,
  ): void {
    for (const input of inputs) {
      if (input !== "" && !this.defined.has(input)) {
        throw new Error(`ONNX node ${name} consumes ${input} before it is produced`);
      }
    }
    if (this.nodeNames.has(name)) throw new Error(`ONNX node name ${name} is used twice`);
    this.nodeNames.add(name);
    for (const output of outputs) this.define(output);
    this.nodes.push(attributes ? { opType, name, inputs, outputs, attributes } : { opType, name, inputs, outputs });
  }

  /** Adds an initializer and returns its name. */
  initializer(tensor: OnnxTensor): string {
    this.define(tensor.name);
    this.initializers.push(tensor);
    return tensor.name;
  }

  /** A float32 initializer. */
  floats(name: string, dims: readonly number[], values: Float32Array): string {
    return this.initializer({ name, dataType: TensorDataType.FLOAT, dims, raw: float32Bytes(values) });
  }

  /** An int64 initializer (shapes, axes). */
  int64s(name: string, dims: readonly number[], values: readonly number[]): string {
    return this.initializer({ name, dataType: TensorDataType.INT64, dims, raw: int64Bytes(values) });
  }

  /**
   * A float32 weight stored as float16 in the file and widened by a Cast node.
   * onnxruntime folds the Cast when the session is created, so inference sees exactly
   * the float32 values (every float16 is exact in float32) at half the file size.
   */
  float16AsFloat(name: string, dims: readonly number[], halfBytes: Uint8Array): string {
    const stored = this.initializer({ name: `${name}_fp16`, dataType: TensorDataType.FLOAT16, dims, raw: halfBytes });
    this.node("Cast", `${name}_cast`, [stored], [name], { to: { kind: "int", value: TensorDataType.FLOAT } });
    return name;
  }

  /** Encodes the finished graph; its inputs and outputs default to the standard image input and output. */
  encode(options: {
    graphName: string;
    docString: string;
    metadata: Readonly<Record<string, string>>;
    inputs?: readonly OnnxValueInfo[];
    outputs?: readonly OnnxValueInfo[];
  }): Uint8Array {
    const outputs = options.outputs ?? [IMAGE_OUTPUT];
    const missing = outputs.find((output) => !this.defined.has(output.name));
    if (missing !== undefined) throw new Error(`the graph never produces its output ${missing.name}`);
    const model: OnnxModel = {
      graphName: options.graphName,
      opsetVersion: OPSET_VERSION,
      producerName: PRODUCER_NAME,
      docString: options.docString,
      nodes: this.nodes,
      initializers: this.initializers,
      inputs: options.inputs ?? [IMAGE_INPUT],
      outputs,
      metadata: options.metadata,
    };
    return encodeOnnxModel(model);
  }

  private define(name: string): void {
    if (name === "") throw new Error("an ONNX tensor name is empty");
    if (this.defined.has(name)) throw new Error(`ONNX tensor ${name} is defined twice`);
    this.defined.add(name);
  }
}
