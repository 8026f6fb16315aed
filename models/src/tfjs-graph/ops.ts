/**
 * One TensorFlow op at a time → ONNX nodes, keeping image (4-D) tensors in NCHW.
 * Constants stay values until an op consumes them, so each op can lay them out as it needs
 * (a kernel as OIHW, a per-channel vector as [C, 1, 1], paddings as ONNX pads).
 */
import { PortraitError } from "@portrait-upscale/shared";
import { attr, type OnnxAttribute } from "../onnx/model";
import type { OnnxGraphBuilder } from "../onnx/graph-builder";
import { hwioToOihw } from "../tfjs/index";
import type { GraphConstant } from "./weights";

/** A node of the frozen graph, its inputs reduced to the producing node names. */
export interface GraphNode {
  readonly name: string;
  readonly op: string;
  readonly inputs: readonly string[];
  readonly attr: Readonly<Record<string, unknown>>;
}

/** What a TF node produced: an NCHW image tensor, any other tensor, or a constant not yet emitted. */
type Value =
  | { readonly kind: "image"; readonly tensor: string }
  | { readonly kind: "plain"; readonly tensor: string }
  | { readonly kind: "constant"; readonly constant: GraphConstant };

/** NHWC axis → NCHW axis for 4-D tensors. */
const NHWC_TO_NCHW_AXIS = [0, 2, 3, 1];
const TO_NHWC = [0, 2, 3, 1];
/** Activations TF fuses into a convolution (`fused_ops` after BiasAdd) or writes as their own op. */
const ACTIVATIONS = ["Relu", "Relu6", "Prelu", "Sigmoid", "Tanh", "LeakyRelu"] as const;
const BINARY = { AddV2: "Add", Add: "Add", Sub: "Sub", Mul: "Mul", RealDiv: "Div", Maximum: "Max", Minimum: "Min" } as const;

/** Every TF op the converter translates. */
export const SUPPORTED_GRAPH_OPS = [
  "Placeholder", "Const", "Identity", "Conv2D", "_FusedConv2D", "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative",
  "BiasAdd", ...Object.keys(BINARY), "AddN", ...ACTIVATIONS, "MaxPool", "AvgPool", "Pad", "PadV2", "Reshape", "ConcatV2",
  "ResizeBilinear", "Conv2DBackpropInput",
] as const;

export class GraphNodeConverter {
  private readonly values = new Map<string, Value>();

  constructor(
    private readonly graph: OnnxGraphBuilder,
    private readonly constants: ReadonlyMap<string, GraphConstant>,
    private readonly inputTensor: string,
  ) {}

  convert(node: GraphNode): void {
    const op = node.op;
    if (op === "Placeholder") return this.set(node, { kind: "image", tensor: this.inputTensor });
    if (op === "Const") return this.constant(node);
    if (op === "Identity") return this.set(node, this.input(node, 0));
    if (op === "Conv2D" || op === "_FusedConv2D") return this.conv(node, false);
    if (op === "DepthwiseConv2dNative" || op === "FusedDepthwiseConv2dNative") return this.conv(node, true);
    if (op === "BiasAdd") return this.emitImage(node, "Add", [this.image(node, 0), this.channelVector(node, 1)]);
    if (op in BINARY) return this.binary(node, BINARY[op as keyof typeof BINARY]);
    if (op === "AddN") return this.emitImage(node, "Sum", node.inputs.map((_, index) => this.image(node, index)));
    if (op === "Conv2DBackpropInput") return this.transposedConv(node);
    if ((ACTIVATIONS as readonly string[]).includes(op)) return this.set(node, this.activation(node, op, this.image(node, 0), node.inputs[1]));
    if (op === "MaxPool" || op === "AvgPool") return this.pool(node);
    if (op === "Pad" || op === "PadV2") return this.pad(node);
    if (op === "Reshape") return this.reshape(node);
    if (op === "ConcatV2") return this.concat(node);
    if (op === "ResizeBilinear") return this.resizeBilinear(node);
    throw new PortraitError("MODEL_CONVERSION_FAILED", `Unsupported TF.js graph op ${op} (node ${node.name}); supported: ${SUPPORTED_GRAPH_OPS.join(", ")}`, {
      format: "tfjs-graph",
      node: node.name,
      type: op,
    });
  }

  /** Writes the graph output `name` from a node, in the NHWC layout TF gives it. */
  emitOutput(nodeName: string, name: string): void {
    const value = this.values.get(nodeName);
    if (value === undefined || value.kind === "constant") throw nodeError(nodeName, "the signature's output is not a computed tensor");
    if (value.kind === "image") this.graph.node("Transpose", `${name}.nhwc`, [value.tensor], [name], { perm: attr.ints(TO_NHWC) });
    else this.graph.node("Identity", `${name}.identity`, [value.tensor], [name]);
  }

  private constant(node: GraphNode): void {
    const constant = this.constants.get(node.name);
    if (constant === undefined) throw nodeError(node.name, "a Const node without a weight in the manifest");
    this.set(node, { kind: "constant", constant });
  }

  private conv(node: GraphNode, depthwise: boolean): void {
    const source = this.image(node, 0);
    const filter = this.constantInput(node, 1);
    if (filter.shape.length !== 4) throw nodeError(node.name, `a filter of shape [${filter.shape.join(", ")}], not [height, width, in, out]`);
    const [height, width, inChannels, outOrMultiplier] = filter.shape;
    const outChannels = depthwise ? inChannels * outOrMultiplier : outOrMultiplier;
    // TF's depthwise filter [H, W, C, M] is an ONNX grouped convolution [C·M, 1, H, W]: output channel c·M + m.
    const weight = hwioToOihw(filter.values as Float32Array, height, width, depthwise ? 1 : inChannels, depthwise ? outChannels : outOrMultiplier);
    const inputs = [source, this.graph.floats(`${node.name}.weight`, [outChannels, depthwise ? 1 : inChannels, height, width], weight)];
    const fused = stringList(node.attr.fused_ops);
    if (fused[0] === "BiasAdd") inputs.push(this.vector(node, 2, `${node.name}.bias`, outChannels));
    else if (fused.length > 0) throw nodeError(node.name, `fused ops ${fused.join(", ")} (expected BiasAdd first)`);
    if (fused.length > 2) throw nodeError(node.name, `fused ops ${fused.join(", ")} (at most BiasAdd and one activation)`);

    const convOutput = fused.length === 2 ? `${node.name}.conv` : node.name;
    this.graph.node("Conv", node.name, inputs, [convOutput], {
      kernel_shape: attr.ints([height, width]),
      strides: attr.ints(spatial(node, "strides")),
      dilations: attr.ints(spatial(node, "dilations")),
      group: attr.int(depthwise ? inChannels : 1),
      ...padding(node),
    });
    if (fused.length === 2) this.set(node, this.activation(node, fused[1], convOutput, node.inputs[3]));
    else this.set(node, { kind: "image", tensor: convOutput });
  }

  /**
   * TF's transposed convolution (the gradient of a convolution): inputs are the output size,
   * the filter [H, W, out, in] and the tensor. ONNX ConvTranspose wants [in, out, H, W] and
   * explicit pads; TF's SAME crops floor(total / 2) at the start, as its forward SAME pads.
   */
  private transposedConv(node: GraphNode): void {
    const outputSize = this.constantInput(node, 0).values;
    const filter = this.constantInput(node, 1);
    const source = this.image(node, 2);
    if (filter.shape.length !== 4 || outputSize.length !== 4) throw nodeError(node.name, "a filter or output size that is not 4-D");
    const [height, width, outChannels, inChannels] = filter.shape;
    const weight = new Float32Array(filter.values.length);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        for (let o = 0; o < outChannels; o++)
          for (let i = 0; i < inChannels; i++) weight[((i * outChannels + o) * height + y) * width + x] = filter.values[((y * width + x) * outChannels + o) * inChannels + i];
    const [strideH, strideW] = spatial(node, "strides");
    const mode = stringAttr(node.attr.padding);
    if (mode !== "SAME" && mode !== "VALID") throw nodeError(node.name, `padding ${String(mode)} (supported: SAME, VALID)`);
    // The forward convolution's input (this op's output) and output (this op's input) sizes.
    const total = (out: number, stride: number, kernel: number): number => {
      const inSize = mode === "SAME" ? Math.ceil(out / stride) : Math.floor((out - kernel) / stride) + 1;
      return Math.max(0, stride * (inSize - 1) + kernel - out);
    };
    const totalH = total(outputSize[1], strideH, height);
    const totalW = total(outputSize[2], strideW, width);
    this.emitImage(node, "ConvTranspose", [source, this.graph.floats(`${node.name}.weight`, [inChannels, outChannels, height, width], weight)], {
      kernel_shape: attr.ints([height, width]),
      strides: attr.ints([strideH, strideW]),
      pads: attr.ints([Math.floor(totalH / 2), Math.floor(totalW / 2), totalH - Math.floor(totalH / 2), totalW - Math.floor(totalW / 2)]),
    });
  }

  /** An activation of `source`; a PReLU's slope comes from the node `alphaNode` (laid out [C, 1, 1]). */
  private activation(node: GraphNode, op: string, source: string, alphaNode: string | undefined): Value {
    const name = `${node.name}.activation`;
    const output = node.name;
    switch (op) {
      case "Relu":
      case "Sigmoid":
      case "Tanh":
        this.graph.node(op, name, [source], [output]);
        break;
      case "Relu6":
        this.graph.node("Clip", name, [source, this.scalar(`${node.name}.min`, 0), this.scalar(`${node.name}.max`, 6)], [output]);
        break;
      case "LeakyRelu": {
        const alpha = (node.attr.leakyrelu_alpha ?? node.attr.alpha) as { f?: unknown } | undefined;
        this.graph.node("LeakyRelu", name, [source], [output], { alpha: attr.float(Number(alpha?.f ?? 0.2)) });
        break;
      }
      case "Prelu": {
        if (alphaNode === undefined) throw nodeError(node.name, "a PReLU without its slope input");
        const slope = this.channelVectorOf(node.name, alphaNode, `${node.name}.slope`);
        this.graph.node("PRelu", name, [source, slope], [output]);
        break;
      }
      default:
        throw nodeError(node.name, `the fused activation ${op}; supported: ${ACTIVATIONS.join(", ")}`);
    }
    return { kind: "image", tensor: output };
  }

  private binary(node: GraphNode, onnxOp: string): void {
    const [a, b] = [this.input(node, 0), this.input(node, 1)];
    if (a.kind === "constant" && b.kind === "constant") throw nodeError(node.name, "an op over two constants (the graph was not folded)");
    const image = a.kind === "image" || b.kind === "image";
    const operand = (value: Value, index: number): string =>
      value.kind !== "constant" ? value.tensor : image ? this.channelVector(node, index) : this.plainConstant(node, index);
    this.emit(node, onnxOp, [operand(a, 0), operand(b, 1)], image ? "image" : "plain");
  }

  private pool(node: GraphNode): void {
    const size = spatial(node, "ksize");
    this.emitImage(node, node.op === "MaxPool" ? "MaxPool" : "AveragePool", [this.image(node, 0)], { kernel_shape: attr.ints(size), strides: attr.ints(spatial(node, "strides")), ...padding(node) });
  }

  /** TF paddings [[before, after] per NHWC axis] → ONNX pads [NCHW befores…, NCHW afters…]. */
  private pad(node: GraphNode): void {
    const paddings = this.constantInput(node, 1);
    if (paddings.shape.length !== 2 || paddings.shape[0] !== 4 || paddings.shape[1] !== 2) throw nodeError(node.name, "paddings that are not 4×2");
    const befores = [0, 3, 1, 2].map((axis) => paddings.values[axis * 2]);
    const afters = [0, 3, 1, 2].map((axis) => paddings.values[axis * 2 + 1]);
    const inputs = [this.image(node, 0), this.graph.int64s(`${node.name}.pads`, [8], [...befores, ...afters])];
    if (node.op === "PadV2") inputs.push(this.scalar(`${node.name}.value`, this.constantInput(node, 2).values[0]));
    this.emitImage(node, "Pad", inputs, { mode: attr.string("constant") });
  }

  /** A reshape reads the tensor in TF's NHWC order, so an image goes back to NHWC first. */
  private reshape(node: GraphNode): void {
    const source = this.input(node, 0);
    if (source.kind === "constant") throw nodeError(node.name, "a reshape of a constant (the graph was not folded)");
    const shape = this.constantInput(node, 1);
    let tensor = source.tensor;
    if (source.kind === "image") {
      tensor = `${node.name}.nhwc`;
      this.graph.node("Transpose", tensor, [source.tensor], [tensor], { perm: attr.ints(TO_NHWC) });
    }
    this.emit(node, "Reshape", [tensor, this.graph.int64s(`${node.name}.shape`, [shape.values.length], [...shape.values])], "plain");
  }

  private concat(node: GraphNode): void {
    const sources = node.inputs.slice(0, -1).map((_, index) => this.input(node, index));
    const axisValue = this.constantInput(node, node.inputs.length - 1).values[0];
    if (sources.some((source) => source.kind === "constant")) throw nodeError(node.name, "a concatenation of constants");
    const image = sources.every((source) => source.kind === "image");
    if (!image && sources.some((source) => source.kind === "image")) throw nodeError(node.name, "a concatenation of image and flat tensors");
    const axis = image ? NHWC_TO_NCHW_AXIS[(axisValue + 4) % 4] : axisValue;
    this.emit(node, "Concat", sources.map((source) => (source as { tensor: string }).tensor), image ? "image" : "plain", { axis: attr.int(axis) });
  }

  /** tf.image.resize_bilinear at a fixed size, as ONNX Resize with TF's coordinate rule. */
  private resizeBilinear(node: GraphNode): void {
    const size = this.constantInput(node, 1).values;
    const alignCorners = (node.attr.align_corners as { b?: boolean } | undefined)?.b === true;
    const halfPixel = (node.attr.half_pixel_centers as { b?: boolean } | undefined)?.b === true;
    const source = this.image(node, 0);
    const shapeOf = `${node.name}.shape_of`;
    const batchChannels = `${node.name}.batch_channels`;
    this.graph.node("Shape", shapeOf, [source], [shapeOf]);
    this.graph.node("Slice", batchChannels, [shapeOf, this.graph.int64s(`${node.name}.starts`, [1], [0]), this.graph.int64s(`${node.name}.ends`, [1], [2])], [batchChannels]);
    const sizes = `${node.name}.sizes`;
    this.graph.node("Concat", sizes, [batchChannels, this.graph.int64s(`${node.name}.hw`, [2], [size[0], size[1]])], [sizes], { axis: attr.int(0) });
    this.emitImage(node, "Resize", [source, "", "", sizes], {
      mode: attr.string("linear"),
      coordinate_transformation_mode: attr.string(alignCorners ? "align_corners" : halfPixel ? "half_pixel" : "asymmetric"),
    });
  }

  private emitImage(node: GraphNode, op: string, inputs: readonly string[], attributes?: Readonly<Record<string, OnnxAttribute>>): void {
    this.emit(node, op, inputs, "image", attributes);
  }

  private emit(node: GraphNode, op: string, inputs: readonly string[], kind: "image" | "plain", attributes?: Readonly<Record<string, OnnxAttribute>>): void {
    this.graph.node(op, node.name, inputs, [node.name], attributes);
    this.set(node, { kind, tensor: node.name });
  }

  private set(node: GraphNode, value: Value): void {
    this.values.set(node.name, value);
  }

  private input(node: GraphNode, index: number): Value {
    const name = node.inputs[index];
    const value = name === undefined ? undefined : this.values.get(name);
    if (value === undefined) throw nodeError(node.name, `no input ${index}`);
    return value;
  }

  private image(node: GraphNode, index: number): string {
    const value = this.input(node, index);
    if (value.kind !== "image") throw nodeError(node.name, `input ${index} is not a 4-D image tensor`);
    return value.tensor;
  }

  private constantInput(node: GraphNode, index: number): GraphConstant {
    const value = this.input(node, index);
    if (value.kind !== "constant") throw nodeError(node.name, `input ${index} must be a constant`);
    return value.constant;
  }

  private plainConstant(node: GraphNode, index: number): string {
    const constant = this.constantInput(node, index);
    const name = `${node.name}.const${index}`;
    return constant.dtype === "int32"
      ? this.graph.int64s(name, constant.shape, [...constant.values])
      : this.graph.floats(name, constant.shape, constant.values as Float32Array);
  }

  private channelVector(node: GraphNode, index: number): string {
    return this.channelVectorOf(node.name, node.inputs[index], `${node.name}.const${index}`);
  }

  /** A constant that broadcasts over an NHWC tensor's last axis, laid out to broadcast over NCHW channels: [C, 1, 1]. */
  private channelVectorOf(nodeName: string, constantNode: string, name: string): string {
    const value = this.values.get(constantNode);
    if (value?.kind !== "constant") throw nodeError(nodeName, `${constantNode} must be a constant`);
    const { shape, values } = value.constant;
    if (shape.slice(0, -1).some((dim) => dim !== 1)) throw nodeError(nodeName, `a constant of shape [${shape.join(", ")}] that is not per-channel`);
    return this.graph.floats(name, values.length === 1 ? [] : [values.length, 1, 1], Float32Array.from(values));
  }

  private vector(node: GraphNode, index: number, name: string, length: number): string {
    const values = this.constantInput(node, index).values;
    if (values.length !== length) throw nodeError(node.name, `input ${index} has ${values.length} values, not ${length}`);
    return this.graph.floats(name, [length], Float32Array.from(values));
  }

  private scalar(name: string, value: number): string {
    return this.graph.floats(name, [], Float32Array.of(value));
  }
}

/** TF attribute lists of strings are base64 (`fused_ops`, `padding`). */
function stringList(value: unknown): string[] {
  const list = (value as { list?: { s?: unknown } } | undefined)?.list?.s;
  return Array.isArray(list) ? list.map((item) => Buffer.from(String(item), "base64").toString("utf8")) : [];
}

function stringAttr(value: unknown): string | undefined {
  const encoded = (value as { s?: unknown } | undefined)?.s;
  return typeof encoded === "string" ? Buffer.from(encoded, "base64").toString("utf8") : undefined;
}

/** The H and W entries of an NHWC attribute list (`strides`, `dilations`, `ksize`); default 1. */
function spatial(node: GraphNode, key: string): [number, number] {
  const list = ((node.attr[key] as { list?: { i?: unknown[] } } | undefined)?.list?.i ?? []).map(Number);
  if (list.length === 0) return [1, 1];
  if (list.length !== 4 || stringAttr(node.attr.data_format) === "NCHW") throw nodeError(node.name, `${key} [${list.join(", ")}] is not an NHWC list`);
  return [list[1], list[2]];
}

/** TF SAME puts the odd padding pixel at the end, as ONNX SAME_UPPER does. */
function padding(node: GraphNode): Record<string, OnnxAttribute> {
  const mode = stringAttr(node.attr.padding);
  if (mode === "SAME") return { auto_pad: attr.string("SAME_UPPER") };
  if (mode === "VALID") return { pads: attr.ints([0, 0, 0, 0]) };
  throw nodeError(node.name, `padding ${String(mode)} (supported: SAME, VALID)`);
}

function nodeError(node: string, detail: string): PortraitError {
  return new PortraitError("MODEL_CONVERSION_FAILED", `TF.js graph node ${node}: ${detail}`, { format: "tfjs-graph", node });
}
