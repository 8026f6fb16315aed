/**
 * NCNN (`.param` + `.bin`) → ONNX, for the Real-ESRGAN weights shipped as NCNN files.
 * Pure: bytes in, bytes out; the same input always gives byte-identical output.
 */
import { invalidParameter, PortraitError } from "@portrait-upscale/shared";
import { attr, type OnnxAttribute } from "../onnx/model";
import { IMAGE_INPUT, IMAGE_OUTPUT, OnnxGraphBuilder } from "../onnx/graph-builder";
import { arrayParam, parseNcnnParam, scalarParam, type NcnnLayer } from "./param";
import { NcnnWeightReader, type NcnnWeight } from "./weights";

export { parseNcnnParam, type NcnnLayer, type NcnnParam, type NcnnParamValue } from "./param";
export { NCNN_WEIGHT_TAG } from "./weights";

export interface NcnnConversionInput {
  /** The `.param` text. */
  readonly param: string;
  /** The `.bin` bytes. */
  readonly bin: Uint8Array;
  /** Written as the ONNX graph's name (usually the model id). */
  readonly graphName: string;
}

/**
 * Converts an NCNN image-to-image network to ONNX (opset 17) with one input `input` and one
 * output `output`, both float32 NCHW RGB, dynamic height and width.
 * Throws PortraitError MODEL_CONVERSION_FAILED (data names the layer) when the files are
 * malformed, do not match, or use a layer this converter does not know.
 *
 * @example
 * const onnx = convertNcnnToOnnx({ param: paramText, bin: binBytes, graphName: "realesrgan-x4fast" });
 */
export function convertNcnnToOnnx(input: NcnnConversionInput): Uint8Array {
  if (typeof input?.param !== "string") throw invalidParameter("a string", "param", input?.param);
  if (!(input.bin instanceof Uint8Array)) throw invalidParameter("a Uint8Array", "bin", input.bin);
  if (typeof input.graphName !== "string" || input.graphName === "") {
    throw invalidParameter("a non-empty string", "graphName", input.graphName);
  }
  try {
    return new NcnnConverter(input.param, input.bin).convert(input.graphName);
  } catch (error) {
    if (error instanceof PortraitError) throw error;
    throw new PortraitError("MODEL_CONVERSION_FAILED", `NCNN conversion failed: ${(error as Error).message}`, {
      format: "ncnn",
    });
  }
}

/** What the converter knows about a blob: its ONNX tensor, channel count and size relative to the input. */
interface BlobInfo {
  readonly tensor: string;
  readonly channels: number;
  readonly scale: number;
}

const INTERP_MODES: Record<number, string> = { 1: "nearest", 2: "linear", 3: "cubic" };
const BINARY_OPS: Record<number, { op: string; reversed: boolean }> = {
  0: { op: "Add", reversed: false },
  1: { op: "Sub", reversed: false },
  2: { op: "Mul", reversed: false },
  3: { op: "Div", reversed: false },
  4: { op: "Max", reversed: false },
  5: { op: "Min", reversed: false },
  6: { op: "Pow", reversed: false },
  7: { op: "Sub", reversed: true },
  8: { op: "Div", reversed: true },
};

class NcnnConverter {
  private readonly layers: readonly NcnnLayer[];
  private readonly weights: NcnnWeightReader;
  private readonly graph = new OnnxGraphBuilder([IMAGE_INPUT.name]);
  private readonly blobs = new Map<string, BlobInfo>();
  /** The one blob no layer consumes: it becomes the graph output. */
  private readonly outputBlob: string;

  constructor(param: string, bin: Uint8Array) {
    this.layers = parseNcnnParam(param).layers;
    this.weights = new NcnnWeightReader(bin);
    this.outputBlob = this.findOutputBlob();
  }

  convert(graphName: string): Uint8Array {
    let inputSeen = false;
    for (const layer of this.layers) {
      if (layer.type === "Input") {
        if (inputSeen) throw layerError(layer, "the network has more than one Input layer; an image model has one");
        inputSeen = true;
      }
      this.convertLayer(layer);
    }
    if (!inputSeen) throw conversionError("the network has no Input layer", {});
    this.weights.expectEnd();

    const output = this.blobs.get(this.outputBlob)!;
    if (output.tensor !== IMAGE_OUTPUT.name) {
      // The output is an alias (e.g. a Split branch) of a tensor with another name.
      this.graph.node("Identity", "output_identity", [output.tensor], [IMAGE_OUTPUT.name]);
    }
    if (output.channels !== 3) throw conversionError(`the network outputs ${output.channels} channels, not RGB`, {});
    return this.graph.encode({
      graphName,
      docString: "Converted from NCNN .param/.bin",
      metadata: { source_format: "ncnn", scale: String(output.scale) },
    });
  }

  private findOutputBlob(): string {
    const consumed = new Set(this.layers.flatMap((layer) => layer.inputs));
    const terminal = this.layers.flatMap((layer) => layer.outputs).filter((blob) => !consumed.has(blob));
    if (terminal.length !== 1) {
      throw conversionError(
        `an image model has exactly one output blob, but ${terminal.length} blobs are never consumed: ${terminal.join(", ")}`,
        { blobs: terminal },
      );
    }
    return terminal[0];
  }

  private convertLayer(layer: NcnnLayer): void {
    switch (layer.type) {
      case "Input": {
        // Key 2 is the channel count when the network declares one (0 or absent: any).
        const channels = scalarParam(layer, 2, 0);
        if (channels !== 0 && channels !== 3) throw layerError(layer, `the input has ${channels} channels; an RGB model has 3`);
        return this.defineBlob(layer, layer.outputs[0], { tensor: IMAGE_INPUT.name, channels: 3, scale: 1 });
      }
      case "Split":
        return this.split(layer);
      case "Convolution":
        return this.convolution(layer);
      case "PReLU":
        return this.prelu(layer);
      case "ReLU":
        return this.relu(layer);
      case "Sigmoid":
        return this.unary(layer, "Sigmoid");
      case "PixelShuffle":
        return this.pixelShuffle(layer);
      case "Interp":
        return this.interp(layer);
      case "BinaryOp":
        return this.binaryOp(layer);
      case "Eltwise":
        return this.eltwise(layer);
      case "Concat":
        return this.concat(layer);
      default:
        throw layerError(
          layer,
          `unsupported NCNN layer type ${layer.type}; supported: Input, Split, Convolution, PReLU, ReLU, Sigmoid, ` +
            "PixelShuffle, Interp, BinaryOp, Eltwise, Concat",
        );
    }
  }

  private split(layer: NcnnLayer): void {
    const [source] = this.inputs(layer, 1);
    layer.outputs.forEach((blob) => this.defineBlob(layer, blob, source, 1, layer.outputs.length));
  }

  private convolution(layer: NcnnLayer): void {
    const [source] = this.inputs(layer, 1);
    this.expectOutputs(layer, 1);
    const outChannels = scalarParam(layer, 0, 0);
    const kernelW = scalarParam(layer, 1, 0);
    const kernelH = scalarParam(layer, 11, kernelW);
    const dilationW = scalarParam(layer, 2, 1);
    const dilationH = scalarParam(layer, 12, dilationW);
    const strideW = scalarParam(layer, 3, 1);
    const strideH = scalarParam(layer, 13, strideW);
    const padLeft = scalarParam(layer, 4, 0);
    const padRight = scalarParam(layer, 15, padLeft);
    const padTop = scalarParam(layer, 14, padLeft);
    const padBottom = scalarParam(layer, 16, padTop);
    const hasBias = scalarParam(layer, 5, 0) !== 0;
    const weightCount = scalarParam(layer, 6, 0);
    if (scalarParam(layer, 8, 0) !== 0) throw layerError(layer, "int8 convolutions are not supported");
    if (scalarParam(layer, 19, 0) !== 0) throw layerError(layer, "convolutions with dynamic weights are not supported");
    if (padLeft < 0 || padTop < 0 || padRight < 0 || padBottom < 0) {
      throw layerError(layer, "automatic ('same') convolution padding is not supported");
    }
    const inChannels = weightCount / (outChannels * kernelW * kernelH);
    if (!Number.isInteger(inChannels) || inChannels <= 0 || outChannels <= 0) {
      throw layerError(layer, `weight count ${weightCount} does not fit ${outChannels} outputs of ${kernelH}×${kernelW}`);
    }
    if (inChannels !== source.channels) {
      throw layerError(layer, `the weights expect ${inChannels} input channels but the input blob has ${source.channels}`);
    }
    if (strideH !== strideW) throw layerError(layer, "different vertical and horizontal strides are not supported");

    const dims = [outChannels, inChannels, kernelH, kernelW];
    const weightName = this.weightTensor(`${layer.name}.weight`, dims, this.weights.readTagged(layer.name, weightCount));
    const inputs = [source.tensor, weightName];
    if (hasBias) inputs.push(this.graph.floats(`${layer.name}.bias`, [outChannels], this.weights.readFloats(layer.name, outChannels)));

    const activation = scalarParam(layer, 9, 0);
    const convOutput = activation === 0 ? this.tensorName(layer.outputs[0]) : `${layer.name}.conv`;
    this.graph.node("Conv", layer.name, inputs, [convOutput], {
      kernel_shape: attr.ints([kernelH, kernelW]),
      strides: attr.ints([strideH, strideW]),
      dilations: attr.ints([dilationH, dilationW]),
      pads: attr.ints([padTop, padLeft, padBottom, padRight]),
    });
    if (activation !== 0) this.fusedActivation(layer, activation, convOutput);
    this.defineBlob(layer, layer.outputs[0], {
      tensor: this.tensorName(layer.outputs[0]),
      channels: outChannels,
      scale: source.scale / strideW,
    });
  }

  /** NCNN's fused activations: 1 ReLU, 2 leaky ReLU, 3 clip, 4 sigmoid, 5 mish, 6 hard-swish. */
  private fusedActivation(layer: NcnnLayer, type: number, input: string): void {
    const output = this.tensorName(layer.outputs[0]);
    const params = arrayParam(layer, 10);
    const name = `${layer.name}.activation`;
    switch (type) {
      case 1:
        return this.graph.node("Relu", name, [input], [output]);
      case 2:
        return this.graph.node("LeakyRelu", name, [input], [output], { alpha: attr.float(params[0] ?? 0) });
      case 3: {
        const min = this.graph.floats(`${layer.name}.clip_min`, [], Float32Array.of(params[0] ?? -Infinity));
        const max = this.graph.floats(`${layer.name}.clip_max`, [], Float32Array.of(params[1] ?? Infinity));
        return this.graph.node("Clip", name, [input, min, max], [output]);
      }
      case 4:
        return this.graph.node("Sigmoid", name, [input], [output]);
      case 5: {
        // Mish(x) = x · tanh(softplus(x)); opset 17 has no Mish operator.
        this.graph.node("Softplus", `${name}.softplus`, [input], [`${name}.softplus`]);
        this.graph.node("Tanh", `${name}.tanh`, [`${name}.softplus`], [`${name}.tanh`]);
        return this.graph.node("Mul", name, [input, `${name}.tanh`], [output]);
      }
      case 6: {
        const alpha = params[0] ?? 1 / 6;
        const beta = params[1] ?? 0.5;
        this.graph.node("HardSigmoid", `${name}.hardsigmoid`, [input], [`${name}.hardsigmoid`], {
          alpha: attr.float(alpha),
          beta: attr.float(beta),
        });
        return this.graph.node("Mul", name, [input, `${name}.hardsigmoid`], [output]);
      }
      default:
        throw layerError(layer, `unsupported fused activation type ${type}`);
    }
  }

  private prelu(layer: NcnnLayer): void {
    const [source] = this.inputs(layer, 1);
    this.expectOutputs(layer, 1);
    const count = scalarParam(layer, 0, 0);
    if (count !== 1 && count !== source.channels) {
      throw layerError(layer, `${count} slopes do not fit ${source.channels} channels`);
    }
    const slopeDims = count === 1 ? [1] : [count, 1, 1];
    const slope = this.graph.floats(`${layer.name}.slope`, slopeDims, this.weights.readFloats(layer.name, count));
    this.emitSameShape(layer, source, "PRelu", [source.tensor, slope]);
  }

  private relu(layer: NcnnLayer): void {
    const [source] = this.inputs(layer, 1);
    this.expectOutputs(layer, 1);
    const slope = scalarParam(layer, 0, 0);
    if (slope === 0) this.emitSameShape(layer, source, "Relu", [source.tensor]);
    else this.emitSameShape(layer, source, "LeakyRelu", [source.tensor], { alpha: attr.float(slope) });
  }

  private unary(layer: NcnnLayer, opType: string): void {
    const [source] = this.inputs(layer, 1);
    this.expectOutputs(layer, 1);
    this.emitSameShape(layer, source, opType, [source.tensor]);
  }

  private pixelShuffle(layer: NcnnLayer): void {
    const [source] = this.inputs(layer, 1);
    this.expectOutputs(layer, 1);
    const factor = scalarParam(layer, 0, 1);
    const mode = scalarParam(layer, 1, 0);
    if (source.channels % (factor * factor) !== 0) {
      throw layerError(layer, `${source.channels} channels cannot be shuffled by a factor of ${factor}`);
    }
    if (mode !== 0 && mode !== 1) throw layerError(layer, `unknown pixel shuffle mode ${mode}`);
    const output = this.tensorName(layer.outputs[0]);
    // Mode 0 is PyTorch's pixel_shuffle (channel-major: CRD); mode 1 is TensorFlow's depth_to_space (DCR).
    this.graph.node("DepthToSpace", layer.name, [source.tensor], [output], {
      blocksize: attr.int(factor),
      mode: attr.string(mode === 0 ? "CRD" : "DCR"),
    });
    this.defineBlob(layer, layer.outputs[0], { tensor: output, channels: source.channels / (factor * factor), scale: source.scale * factor });
  }

  private interp(layer: NcnnLayer): void {
    const [source] = this.inputs(layer, 1);
    this.expectOutputs(layer, 1);
    const mode = INTERP_MODES[scalarParam(layer, 0, 0)];
    const heightScale = scalarParam(layer, 1, 1);
    const widthScale = scalarParam(layer, 2, 1);
    const alignCorners = scalarParam(layer, 6, 0) !== 0;
    if (!mode) throw layerError(layer, `unsupported interpolation type ${scalarParam(layer, 0, 0)}`);
    if (scalarParam(layer, 3, 0) !== 0 || scalarParam(layer, 4, 0) !== 0 || scalarParam(layer, 5, 0) !== 0) {
      throw layerError(layer, "resizing to a fixed or dynamic output size is not supported, only by a scale factor");
    }
    if (heightScale !== widthScale) throw layerError(layer, "different vertical and horizontal scales are not supported");
    const scales = this.graph.floats(`${layer.name}.scales`, [4], Float32Array.of(1, 1, heightScale, widthScale));
    const attributes: Record<string, OnnxAttribute> =
      mode === "nearest"
        ? // NCNN's nearest picks source pixel floor(x / scale), PyTorch's default.
          { mode: attr.string("nearest"), coordinate_transformation_mode: attr.string("asymmetric"), nearest_mode: attr.string("floor") }
        : {
            mode: attr.string(mode),
            coordinate_transformation_mode: attr.string(alignCorners ? "align_corners" : "half_pixel"),
            ...(mode === "cubic" ? { cubic_coeff_a: attr.float(-0.75) } : {}),
          };
    const output = this.tensorName(layer.outputs[0]);
    this.graph.node("Resize", layer.name, [source.tensor, "", scales], [output], attributes);
    this.defineBlob(layer, layer.outputs[0], { tensor: output, channels: source.channels, scale: source.scale * heightScale });
  }

  private binaryOp(layer: NcnnLayer): void {
    const operation = BINARY_OPS[scalarParam(layer, 0, 0)];
    if (!operation) throw layerError(layer, `unsupported binary operation ${scalarParam(layer, 0, 0)}`);
    this.expectOutputs(layer, 1);
    const withScalar = scalarParam(layer, 1, 0) !== 0;
    const sources = this.inputs(layer, withScalar ? 1 : 2);
    const first = sources[0];
    let second: string;
    if (withScalar) {
      second = this.graph.floats(`${layer.name}.b`, [], Float32Array.of(scalarParam(layer, 2, 0)));
    } else {
      if (sources[1].channels !== first.channels || sources[1].scale !== first.scale) {
        throw layerError(layer, "broadcasting between blobs of different shapes is not supported");
      }
      second = sources[1].tensor;
    }
    const operands = operation.reversed ? [second, first.tensor] : [first.tensor, second];
    this.emitSameShape(layer, first, operation.op, operands);
  }

  private eltwise(layer: NcnnLayer): void {
    this.expectOutputs(layer, 1);
    const sources = this.inputs(layer, layer.inputs.length);
    if (sources.length < 2) throw layerError(layer, "Eltwise needs at least two inputs");
    for (const source of sources) {
      if (source.channels !== sources[0].channels || source.scale !== sources[0].scale) {
        throw layerError(layer, "Eltwise inputs differ in shape");
      }
    }
    const operation = scalarParam(layer, 0, 1);
    const coefficients = arrayParam(layer, 1);
    const output = this.tensorName(layer.outputs[0]);
    const opType = ({ 0: "Mul", 1: "Sum", 2: "Max" } as Record<number, string>)[operation];
    if (!opType) throw layerError(layer, `unknown Eltwise operation ${operation}`);
    if (coefficients.length > 0 && operation !== 1) throw layerError(layer, "Eltwise coefficients only apply to a sum");
    if (coefficients.length > 0 && coefficients.length !== sources.length) {
      throw layerError(layer, `Eltwise has ${coefficients.length} coefficients for ${sources.length} inputs`);
    }
    // A weighted sum: scale the terms whose coefficient is not 1 (the residual scaling 0.2·a + b).
    const terms = sources.map((source, index) => {
      const coefficient = coefficients[index] ?? 1;
      if (coefficient === 1) return source.tensor;
      const factor = this.graph.floats(`${layer.name}.coeff${index}`, [], Float32Array.of(coefficient));
      const scaled = `${layer.name}.term${index}`;
      this.graph.node("Mul", scaled, [source.tensor, factor], [scaled]);
      return scaled;
    });
    if (opType === "Mul") {
      let product = terms[0];
      for (let index = 1; index < terms.length; index++) {
        const next = index === terms.length - 1 ? output : `${layer.name}.product${index}`;
        this.graph.node("Mul", index === terms.length - 1 ? layer.name : next, [product, terms[index]], [next]);
        product = next;
      }
    } else if (terms.length === 2 && opType === "Sum") {
      this.graph.node("Add", layer.name, terms, [output]);
    } else {
      this.graph.node(opType, layer.name, terms, [output]);
    }
    this.defineBlob(layer, layer.outputs[0], { tensor: output, channels: sources[0].channels, scale: sources[0].scale });
  }

  private concat(layer: NcnnLayer): void {
    this.expectOutputs(layer, 1);
    const sources = this.inputs(layer, layer.inputs.length);
    const axis = scalarParam(layer, 0, 0);
    if (axis !== 0) throw layerError(layer, `only concatenation along channels (axis 0) is supported, not axis ${axis}`);
    if (sources.some((source) => source.scale !== sources[0].scale)) throw layerError(layer, "Concat inputs differ in size");
    const output = this.tensorName(layer.outputs[0]);
    // NCNN blobs have no batch axis: its channel axis 0 is ONNX axis 1.
    this.graph.node("Concat", layer.name, sources.map((source) => source.tensor), [output], { axis: attr.int(1) });
    const channels = sources.reduce((sum, source) => sum + source.channels, 0);
    this.defineBlob(layer, layer.outputs[0], { tensor: output, channels, scale: sources[0].scale });
  }

  /** One node whose single output has the shape of `source`. */
  private emitSameShape(
    layer: NcnnLayer,
    source: BlobInfo,
    opType: string,
    inputs: readonly string[],
    attributes?: Readonly<Record<string, OnnxAttribute>>,
  ): void {
    const output = this.tensorName(layer.outputs[0]);
    this.graph.node(opType, layer.name, inputs, [output], attributes);
    this.defineBlob(layer, layer.outputs[0], { tensor: output, channels: source.channels, scale: source.scale });
  }

  private weightTensor(name: string, dims: readonly number[], weight: NcnnWeight): string {
    return weight.kind === "float16" ? this.graph.float16AsFloat(name, dims, weight.bytes) : this.graph.floats(name, dims, weight.values);
  }

  /** The ONNX name for a blob a layer produces: the output blob is `output`, others keep their NCNN name. */
  private tensorName(blob: string): string {
    if (blob === this.outputBlob) return IMAGE_OUTPUT.name;
    return blob === IMAGE_INPUT.name || blob === IMAGE_OUTPUT.name ? `blob_${blob}` : blob;
  }

  private inputs(layer: NcnnLayer, count: number): BlobInfo[] {
    if (layer.inputs.length !== count) throw layerError(layer, `expected ${count} input blobs but the layer has ${layer.inputs.length}`);
    return layer.inputs.map((blob) => {
      const info = this.blobs.get(blob);
      if (!info) throw layerError(layer, `input blob ${blob} is not produced by an earlier layer`);
      return info;
    });
  }

  private expectOutputs(layer: NcnnLayer, count: number): void {
    if (layer.outputs.length !== count) throw layerError(layer, `expected ${count} output blobs but the layer has ${layer.outputs.length}`);
  }

  private defineBlob(layer: NcnnLayer, blob: string, info: BlobInfo, min = 1, max = 1): void {
    if (layer.outputs.length < min || layer.outputs.length > max) {
      throw layerError(layer, `expected ${max} output blobs but the layer has ${layer.outputs.length}`);
    }
    if (this.blobs.has(blob)) throw layerError(layer, `blob ${blob} is produced twice`);
    this.blobs.set(blob, info);
  }
}

function layerError(layer: NcnnLayer, detail: string): PortraitError {
  return new PortraitError("MODEL_CONVERSION_FAILED", `NCNN layer ${layer.name} (${layer.type}, line ${layer.line}): ${detail}`, {
    format: "ncnn",
    layer: layer.name,
    type: layer.type,
    line: layer.line,
  });
}

function conversionError(detail: string, data: Record<string, unknown>): PortraitError {
  return new PortraitError("MODEL_CONVERSION_FAILED", `NCNN conversion failed: ${detail}`, { format: "ncnn", ...data });
}
