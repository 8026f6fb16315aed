/**
 * The NCNN converter's bookkeeping: the ONNX graph being built, the `.bin` reader, and what is
 * known about every blob so far (its tensor, channels and scale), with the checks every layer
 * makes on its input and output blobs.
 */
import { PortraitError } from "@portrait-upscale/shared";
import type { OnnxAttribute } from "../onnx/model";
import { IMAGE_INPUT, IMAGE_OUTPUT, OnnxGraphBuilder } from "../onnx/graph-builder";
import type { NcnnLayer } from "./param";
import { NcnnWeightReader, type NcnnWeight } from "./weights";

/** What the converter knows about a blob: its ONNX tensor, channel count and size relative to the input. */
export interface BlobInfo {
  readonly tensor: string;
  readonly channels: number;
  readonly scale: number;
}

/** One conversion's graph, weights and blobs; the layer converters (./layers) write through it. */
export class NcnnConversion {
  readonly graph = new OnnxGraphBuilder([IMAGE_INPUT.name]);
  readonly weights: NcnnWeightReader;
  private readonly blobs = new Map<string, BlobInfo>();
  /** The one blob no layer consumes: it becomes the graph output. */
  readonly outputBlob: string;

  constructor(layers: readonly NcnnLayer[], bin: Uint8Array) {
    this.weights = new NcnnWeightReader(bin);
    this.outputBlob = findOutputBlob(layers);
  }

  /** The output blob's info, once every layer has been converted. */
  output(): BlobInfo {
    return this.blobs.get(this.outputBlob)!;
  }

  /** One node whose single output has the shape of `source`. */
  emitSameShape(
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

  weightTensor(name: string, dims: readonly number[], weight: NcnnWeight): string {
    return weight.kind === "float16" ? this.graph.float16AsFloat(name, dims, weight.bytes) : this.graph.floats(name, dims, weight.values);
  }

  /** The ONNX name for a blob a layer produces: the output blob is `output`, others keep their NCNN name. */
  tensorName(blob: string): string {
    if (blob === this.outputBlob) return IMAGE_OUTPUT.name;
    return blob === IMAGE_INPUT.name || blob === IMAGE_OUTPUT.name ? `blob_${blob}` : blob;
  }

  inputs(layer: NcnnLayer, count: number): BlobInfo[] {
    if (layer.inputs.length !== count) throw layerError(layer, `expected ${count} input blobs but the layer has ${layer.inputs.length}`);
    return layer.inputs.map((blob) => {
      const info = this.blobs.get(blob);
      if (!info) throw layerError(layer, `input blob ${blob} is not produced by an earlier layer`);
      return info;
    });
  }

  expectOutputs(layer: NcnnLayer, count: number): void {
    if (layer.outputs.length !== count) throw layerError(layer, `expected ${count} output blobs but the layer has ${layer.outputs.length}`);
  }

  defineBlob(layer: NcnnLayer, blob: string, info: BlobInfo, min = 1, max = 1): void {
    if (layer.outputs.length < min || layer.outputs.length > max) {
      throw layerError(layer, `expected ${max} output blobs but the layer has ${layer.outputs.length}`);
    }
    if (this.blobs.has(blob)) throw layerError(layer, `blob ${blob} is produced twice`);
    this.blobs.set(blob, info);
  }
}

function findOutputBlob(layers: readonly NcnnLayer[]): string {
  const consumed = new Set(layers.flatMap((layer) => layer.inputs));
  const terminal = layers.flatMap((layer) => layer.outputs).filter((blob) => !consumed.has(blob));
  if (terminal.length !== 1) {
    throw conversionError(
      `an image model has exactly one output blob, but ${terminal.length} blobs are never consumed: ${terminal.join(", ")}`,
      { blobs: terminal },
    );
  }
  return terminal[0];
}

/** MODEL_CONVERSION_FAILED naming the layer, its type and its line in the `.param` file. */
export function layerError(layer: NcnnLayer, detail: string): PortraitError {
  return new PortraitError("MODEL_CONVERSION_FAILED", `NCNN layer ${layer.name} (${layer.type}, line ${layer.line}): ${detail}`, {
    format: "ncnn",
    layer: layer.name,
    type: layer.type,
    line: layer.line,
  });
}

/** MODEL_CONVERSION_FAILED for the network as a whole. */
export function conversionError(detail: string, data: Record<string, unknown>): PortraitError {
  return new PortraitError("MODEL_CONVERSION_FAILED", `NCNN conversion failed: ${detail}`, { format: "ncnn", ...data });
}
