/**
 * TF.js layers model (Keras functional `model.json` + weight shards) → ONNX, for the
 * UpscalerJS ESRGAN models. The Keras graph is channels-last (NHWC); the ONNX graph is
 * NCHW throughout, so kernels, concatenation axes and depth-to-space are translated.
 * Pure: bytes in, bytes out; the same input always gives byte-identical output.
 */
import { invalidParameter, PortraitError } from "@portrait-upscale/shared";
import { attr } from "../onnx/model";
import { IMAGE_INPUT, IMAGE_OUTPUT, OnnxGraphBuilder } from "../onnx/graph-builder";
import { readLayers, singleEndpoint, topologicalOrder, type KerasLayer } from "./keras-topology";
import { malformed, TfjsWeightStore } from "./weights";

export interface TfjsConversionInput {
  /** The parsed `model.json`. */
  readonly modelJson: unknown;
  /** The weight shards concatenated in the order of the manifest's `paths`. */
  readonly weightData: Uint8Array;
  /** Written as the ONNX graph's name (usually the model id). */
  readonly graphName: string;
}

/**
 * Converts a TF.js Keras functional image-to-image model to ONNX (opset 17) with one input
 * `input` and one output `output`, both float32 NCHW RGB, dynamic height and width.
 * Throws PortraitError MODEL_CONVERSION_FAILED (data names the layer or weight) when the
 * model is malformed, its weights do not fit, or it uses a layer this converter does not know.
 *
 * @example
 * const onnx = convertTfjsToOnnx({ modelJson: JSON.parse(text), weightData: shards, graphName: "esrgan-thick-x4" });
 */
export function convertTfjsToOnnx(input: TfjsConversionInput): Uint8Array {
  return convertChecked(input, "tfjs", (modelJson, weightData, graphName) => convertModel(modelJson, weightData, graphName));
}

/**
 * Checks a TF.js conversion's input and runs `convert`, turning any failure that is not
 * already a PortraitError into MODEL_CONVERSION_FAILED (for the layers and graph converters).
 */
export function convertChecked(
  input: TfjsConversionInput,
  format: string,
  convert: (modelJson: Record<string, unknown>, weightData: Uint8Array, graphName: string) => Uint8Array,
): Uint8Array {
  if (typeof input?.modelJson !== "object" || input.modelJson === null) {
    throw invalidParameter("a parsed model.json object", "modelJson", input?.modelJson);
  }
  if (!(input.weightData instanceof Uint8Array)) throw invalidParameter("a Uint8Array", "weightData", input.weightData);
  if (typeof input.graphName !== "string" || input.graphName === "") {
    throw invalidParameter("a non-empty string", "graphName", input.graphName);
  }
  try {
    return convert(input.modelJson as Record<string, unknown>, input.weightData, input.graphName);
  } catch (error) {
    if (error instanceof PortraitError) throw error;
    throw new PortraitError("MODEL_CONVERSION_FAILED", `TF.js ${format === "tfjs" ? "" : "graph "}conversion failed: ${(error as Error).message}`, { format });
  }
}

interface TensorInfo {
  readonly tensor: string;
  readonly channels: number;
  /** Spatial size relative to the model input. */
  readonly scale: number;
}

function convertModel(modelJson: Record<string, unknown>, weightData: Uint8Array, graphName: string): Uint8Array {
  if (modelJson.format !== undefined && modelJson.format !== "layers-model") {
    throw malformed('"layers-model"', "modelJson.format", modelJson.format);
  }
  const topology = modelJson.modelTopology as Record<string, unknown> | undefined;
  if (typeof topology !== "object" || topology === null) throw malformed("an object", "modelJson.modelTopology", topology);
  const modelConfig = (topology.model_config ?? topology) as Record<string, unknown>;
  if (modelConfig.class_name !== "Functional" && modelConfig.class_name !== "Model") {
    throw malformed('a "Functional" Keras model', "modelTopology.model_config.class_name", modelConfig.class_name);
  }
  const config = modelConfig.config as Record<string, unknown> | undefined;
  if (typeof config !== "object" || config === null) throw malformed("an object", "model_config.config", config);
  const layers = readLayers(config.layers);
  const inputLayer = singleEndpoint(config.input_layers, "input_layers");
  const outputLayer = singleEndpoint(config.output_layers, "output_layers");
  const weights = new TfjsWeightStore(modelJson.weightsManifest, weightData);

  const converter = new LayerConverter(weights, inputLayer, outputLayer);
  for (const layer of topologicalOrder(layers)) converter.convert(layer);
  const output = converter.outputInfo();
  const unused = weights.unused();
  if (unused.length > 0) {
    throw new PortraitError("MODEL_CONVERSION_FAILED", `TF.js weights not used by any layer: ${unused.join(", ")}`, {
      format: "tfjs",
      weights: unused,
    });
  }
  if (output.channels !== 3) {
    throw new PortraitError("MODEL_CONVERSION_FAILED", `The model outputs ${output.channels} channels, not RGB`, { format: "tfjs" });
  }
  return converter.graph.encode({
    graphName,
    docString: "Converted from a TF.js layers model",
    metadata: { source_format: "tfjs", scale: String(output.scale) },
  });
}

/** Keras activations by name, as ONNX operators (linear has none). */
const ACTIVATIONS: Readonly<Record<string, string | null>> = { linear: null, relu: "Relu", sigmoid: "Sigmoid", tanh: "Tanh" };
/** NHWC axis → NCHW axis. */
const CHANNELS_LAST_AXIS: Readonly<Record<number, number>> = { 0: 0, 1: 2, 2: 3, 3: 1, [-1]: 1, [-2]: 3, [-3]: 2 };

class LayerConverter {
  readonly graph = new OnnxGraphBuilder([IMAGE_INPUT.name]);
  private readonly tensors = new Map<string, TensorInfo>();

  constructor(
    private readonly weights: TfjsWeightStore,
    private readonly inputLayer: string,
    private readonly outputLayer: string,
  ) {}

  outputInfo(): TensorInfo {
    const info = this.tensors.get(this.outputLayer);
    if (!info) throw layerError(this.outputLayer, "the output layer was never produced");
    return info;
  }

  convert(layer: KerasLayer): void {
    const pixelShuffle = /^PixelShuffle(\d+)x$/.exec(layer.className);
    if (pixelShuffle) return this.pixelShuffle(layer, Number(pixelShuffle[1]));
    switch (layer.className) {
      case "InputLayer":
        return this.inputLayerTensor(layer);
      case "Conv2D":
        return this.conv2d(layer);
      case "Activation":
        return this.activation(layer);
      case "Concatenate":
        return this.concatenate(layer);
      case "Add":
        return this.add(layer);
      case "MultiplyBeta":
        return this.multiplyBeta(layer);
      default:
        throw new PortraitError(
          "MODEL_CONVERSION_FAILED",
          `Unsupported TF.js layer class ${layer.className} (layer ${layer.name}); supported: InputLayer, Conv2D, ` +
            "Activation, Concatenate, Add, MultiplyBeta, PixelShuffle<n>x",
          { format: "tfjs", layer: layer.name, type: layer.className },
        );
    }
  }

  private inputLayerTensor(layer: KerasLayer): void {
    if (layer.name !== this.inputLayer) throw layerError(layer.name, "a second InputLayer; an image model has one input");
    const shape = layer.config.batch_input_shape ?? layer.config.batchInputShape;
    if (!Array.isArray(shape) || shape.length !== 4 || shape[3] !== 3) {
      throw malformed("[batch, height, width, 3] (channels-last RGB)", `${layer.name}.batch_input_shape`, shape);
    }
    this.tensors.set(layer.name, { tensor: IMAGE_INPUT.name, channels: 3, scale: 1 });
  }

  private conv2d(layer: KerasLayer): void {
    const [source] = this.inputs(layer, 1);
    const config = layer.config;
    const filters = positiveInteger(config.filters, `${layer.name}.filters`);
    const [kernelH, kernelW] = pair(config.kernel_size, `${layer.name}.kernel_size`);
    const [strideH, strideW] = pair(config.strides ?? [1, 1], `${layer.name}.strides`);
    const [dilationH, dilationW] = pair(config.dilation_rate ?? [1, 1], `${layer.name}.dilation_rate`);
    const groups = positiveInteger(config.groups ?? 1, `${layer.name}.groups`);
    if ((config.data_format ?? "channels_last") !== "channels_last") {
      throw malformed('"channels_last"', `${layer.name}.data_format`, config.data_format);
    }
    if (strideH !== 1 || strideW !== 1) throw layerError(layer.name, "strided convolutions are not supported");
    if (source.channels % groups !== 0 || filters % groups !== 0) {
      throw layerError(layer.name, `${source.channels} input channels and ${filters} filters do not divide into ${groups} groups`);
    }
    const activation = activationOperator(config.activation, layer.name);
    const inPerGroup = source.channels / groups;
    const kernel = this.weights.take(layer.name, "kernel", [kernelH, kernelW, inPerGroup, filters]);
    const weightName = this.graph.floats(`${layer.name}.weight`, [filters, inPerGroup, kernelH, kernelW], hwioToOihw(kernel.values, kernelH, kernelW, inPerGroup, filters));
    const inputs = [source.tensor, weightName];
    if (config.use_bias !== false) {
      inputs.push(this.graph.floats(`${layer.name}.bias`, [filters], this.weights.take(layer.name, "bias", [filters]).values));
    }

    const pads = padsFor(config.padding, layer.name, kernelH, kernelW, dilationH, dilationW);
    const output = this.tensorName(layer.name);
    const convOutput = activation ? `${layer.name}.conv` : output;
    this.graph.node("Conv", layer.name, inputs, [convOutput], {
      kernel_shape: attr.ints([kernelH, kernelW]),
      strides: attr.ints([1, 1]),
      dilations: attr.ints([dilationH, dilationW]),
      pads: attr.ints(pads),
      group: attr.int(groups),
    });
    if (activation) this.graph.node(activation, `${layer.name}.activation`, [convOutput], [output]);
    this.tensors.set(layer.name, { tensor: output, channels: filters, scale: source.scale });
  }

  private activation(layer: KerasLayer): void {
    const [source] = this.inputs(layer, 1);
    const operator = activationOperator(layer.config.activation, layer.name);
    const output = this.tensorName(layer.name);
    this.graph.node(operator ?? "Identity", layer.name, [source.tensor], [output]);
    this.tensors.set(layer.name, { ...source, tensor: output });
  }

  private concatenate(layer: KerasLayer): void {
    const sources = this.inputs(layer, layer.inbound.length);
    const axis = CHANNELS_LAST_AXIS[layer.config.axis as number];
    if (axis !== 1) throw malformed("the channel axis (3 or -1)", `${layer.name}.axis`, layer.config.axis);
    if (sources.some((source) => source.scale !== sources[0].scale)) throw layerError(layer.name, "inputs differ in size");
    const output = this.tensorName(layer.name);
    this.graph.node("Concat", layer.name, sources.map((source) => source.tensor), [output], { axis: attr.int(1) });
    const channels = sources.reduce((sum, source) => sum + source.channels, 0);
    this.tensors.set(layer.name, { tensor: output, channels, scale: sources[0].scale });
  }

  private add(layer: KerasLayer): void {
    const sources = this.inputs(layer, layer.inbound.length);
    if (sources.length < 2) throw layerError(layer.name, "Add needs at least two inputs");
    if (sources.some((source) => source.channels !== sources[0].channels || source.scale !== sources[0].scale)) {
      throw layerError(layer.name, "Add inputs differ in shape");
    }
    const output = this.tensorName(layer.name);
    this.graph.node(sources.length === 2 ? "Add" : "Sum", layer.name, sources.map((source) => source.tensor), [output]);
    this.tensors.set(layer.name, { ...sources[0], tensor: output });
  }

  /** UpscalerJS's residual scaling layer: x · beta (0.2 in its source when the config omits it). */
  private multiplyBeta(layer: KerasLayer): void {
    const [source] = this.inputs(layer, 1);
    const beta = layer.config.beta ?? 0.2;
    if (typeof beta !== "number" || !Number.isFinite(beta)) throw malformed("a number", `${layer.name}.beta`, beta);
    const factor = this.graph.floats(`${layer.name}.beta`, [], Float32Array.of(beta));
    const output = this.tensorName(layer.name);
    this.graph.node("Mul", layer.name, [source.tensor, factor], [output]);
    this.tensors.set(layer.name, { ...source, tensor: output });
  }

  /** UpscalerJS's PixelShuffle<n>x: tf.depthToSpace in NHWC, which is ONNX DepthToSpace in DCR order. */
  private pixelShuffle(layer: KerasLayer, classScale: number): void {
    const [source] = this.inputs(layer, 1);
    const factor = layer.config.scale ?? classScale;
    if (factor !== classScale) throw malformed(`scale ${classScale} (as the class name says)`, `${layer.name}.scale`, factor);
    if (source.channels % (factor * factor) !== 0) {
      throw layerError(layer.name, `${source.channels} channels cannot be shuffled by a factor of ${factor}`);
    }
    const output = this.tensorName(layer.name);
    this.graph.node("DepthToSpace", layer.name, [source.tensor], [output], {
      blocksize: attr.int(factor),
      mode: attr.string("DCR"),
    });
    this.tensors.set(layer.name, { tensor: output, channels: source.channels / (factor * factor), scale: source.scale * factor });
  }

  private inputs(layer: KerasLayer, count: number): TensorInfo[] {
    if (layer.inbound.length !== count || count === 0) {
      throw layerError(layer.name, `expected ${count} inputs but the layer has ${layer.inbound.length}`);
    }
    return layer.inbound.map((name) => this.tensors.get(name)!);
  }

  private tensorName(layer: string): string {
    if (layer === this.outputLayer) return IMAGE_OUTPUT.name;
    return layer === IMAGE_INPUT.name || layer === IMAGE_OUTPUT.name ? `layer_${layer}` : layer;
  }
}

/** ONNX pads [top, left, bottom, right]; TF's 'same' puts the odd pixel at the end. */
function padsFor(padding: unknown, layer: string, kernelH: number, kernelW: number, dilationH: number, dilationW: number): number[] {
  if (padding === "valid") return [0, 0, 0, 0];
  if (padding !== "same") throw malformed('"same" or "valid"', `${layer}.padding`, padding);
  const totalH = dilationH * (kernelH - 1);
  const totalW = dilationW * (kernelW - 1);
  return [Math.floor(totalH / 2), Math.floor(totalW / 2), totalH - Math.floor(totalH / 2), totalW - Math.floor(totalW / 2)];
}

function activationOperator(name: unknown, layer: string): string | null {
  const key = name ?? "linear";
  if (typeof key !== "string" || !(key in ACTIVATIONS)) {
    throw malformed(`one of ${Object.keys(ACTIVATIONS).join(", ")}`, `${layer}.activation`, name);
  }
  return ACTIVATIONS[key];
}

/** Keras kernels are [height, width, in, out]; ONNX wants [out, in, height, width]. */
export function hwioToOihw(values: Float32Array, height: number, width: number, inChannels: number, outChannels: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let i = 0; i < inChannels; i++) {
        const source = ((y * width + x) * inChannels + i) * outChannels;
        for (let o = 0; o < outChannels; o++) {
          out[((o * inChannels + i) * height + y) * width + x] = values[source + o];
        }
      }
    }
  }
  return out;
}

function positiveInteger(value: unknown, name: string): number {
  if (!Number.isInteger(value) || (value as number) <= 0) throw malformed("a positive integer", name, value);
  return value as number;
}

function pair(value: unknown, name: string): [number, number] {
  if (!Array.isArray(value) || value.length !== 2) throw malformed("a pair of positive integers", name, value);
  return [positiveInteger(value[0], name), positiveInteger(value[1], name)];
}

function layerError(layer: string, detail: string): PortraitError {
  return new PortraitError("MODEL_CONVERSION_FAILED", `TF.js layer ${layer}: ${detail}`, { format: "tfjs", layer });
}
