/**
 * TF.js graph model (a frozen TensorFlow GraphDef as `model.json` + weight shards) → ONNX,
 * for the MediaPipe face models (Face Mesh, Iris, selfie segmentation). The ONNX model
 * keeps TensorFlow's interface (NHWC input and outputs, as BlazeFace's ONNX has) but
 * computes in NCHW, onnxruntime's native layout: the input is transposed once, kernels,
 * per-channel constants, paddings and axes are translated, and a tensor goes back to NHWC
 * only where the graph flattens it or returns it.
 * Pure: bytes in, bytes out; the same input always gives byte-identical output.
 */
import { invalidParameter, PortraitError } from "@portrait-upscale/shared";
import { attr, TensorDataType, type OnnxValueInfo } from "../onnx/model";
import { OnnxGraphBuilder } from "../onnx/graph-builder";
import { malformed } from "../tfjs/weights";
import { convertChecked } from "../tfjs/index";
import { GraphNodeConverter, type GraphNode } from "./ops";
import { readGraphConstants } from "./weights";

export { SUPPORTED_GRAPH_OPS } from "./ops";

export interface TfjsGraphConversionInput {
  /** The parsed `model.json` (format "graph-model"). */
  readonly modelJson: unknown;
  /** The weight shards concatenated in the order of the manifest's `paths`. */
  readonly weightData: Uint8Array;
  /** Written as the ONNX graph's name (usually the model id). */
  readonly graphName: string;
}

/** The ONNX graph's one input, NHWC as the TF.js placeholder. */
export const GRAPH_INPUT_NAME = "input";
const NCHW_INPUT = "input.nchw";

/**
 * Converts a TF.js graph model with one image input to ONNX (opset 17). The input is
 * float32 NHWC named `input`; each output keeps the name and NHWC layout the model's
 * signature gives it (`output_mesh`, …). Throws PortraitError MODEL_CONVERSION_FAILED
 * (data names the node) for a malformed model or an op this converter does not know.
 *
 * @example
 * const onnx = convertTfjsGraphToOnnx({ modelJson: JSON.parse(text), weightData: bin, graphName: "facemesh" });
 */
export function convertTfjsGraphToOnnx(input: TfjsGraphConversionInput): Uint8Array {
  return convertChecked(input, "tfjs-graph", convertGraph);
}

interface SignatureOutput {
  /** The ONNX output name: the signature's key, without its `:0` suffix unless a node has that name. */
  readonly name: string;
  /** The TF node that produces it. */
  readonly node: string;
  readonly shape: readonly (number | string)[];
}

function convertGraph(modelJson: Record<string, unknown>, weightData: Uint8Array, graphName: string): Uint8Array {
  if (modelJson.format !== undefined && modelJson.format !== "graph-model") {
    throw malformed('"graph-model"', "modelJson.format", modelJson.format);
  }
  const topology = modelJson.modelTopology as { node?: unknown } | undefined;
  if (typeof topology !== "object" || topology === null || !Array.isArray(topology.node)) {
    throw malformed("an object with a node array", "modelJson.modelTopology", topology);
  }
  const nodes = readNodes(topology.node);
  const constants = readGraphConstants(modelJson.weightsManifest, weightData);
  const outputs = readSignatureOutputs(modelJson, new Set(nodes.map((node) => node.name)));
  const placeholders = nodes.filter((node) => node.op === "Placeholder");
  if (placeholders.length !== 1) {
    throw new PortraitError("MODEL_CONVERSION_FAILED", `A TF.js graph model with ${placeholders.length} inputs; this converter takes exactly one`, {
      format: "tfjs-graph",
      inputs: placeholders.map((node) => node.name),
    });
  }

  const graph = new OnnxGraphBuilder([GRAPH_INPUT_NAME]);
  graph.node("Transpose", NCHW_INPUT, [GRAPH_INPUT_NAME], [NCHW_INPUT], { perm: attr.ints([0, 3, 1, 2]) });
  const converter = new GraphNodeConverter(graph, constants, NCHW_INPUT);
  for (const node of topologicalOrder(nodes)) converter.convert(node);
  for (const output of outputs) converter.emitOutput(output.node, output.name);

  return graph.encode({
    graphName,
    docString: "Converted from a TF.js graph model",
    metadata: { source_format: "tfjs-graph" },
    inputs: [graphInput(placeholders[0])],
    outputs: outputs.map((output): OnnxValueInfo => ({ name: output.name, dataType: TensorDataType.FLOAT, shape: output.shape })),
  });
}

function readNodes(value: readonly unknown[]): GraphNode[] {
  const names = new Set<string>();
  return value.map((entry, index) => {
    const node = (entry ?? {}) as Record<string, unknown>;
    const where = `modelTopology.node[${index}]`;
    if (typeof node.name !== "string") throw malformed("a string", `${where}.name`, node.name);
    if (typeof node.op !== "string") throw malformed("a string", `${where}.op`, node.op);
    if (names.has(node.name)) throw malformed("unique node names", `${where}.name`, node.name);
    names.add(node.name);
    const inputs = node.input ?? [];
    if (!Array.isArray(inputs) || !inputs.every((name) => typeof name === "string")) throw malformed("an array of node names", `${where}.input`, inputs);
    // A `^name` input is a control dependency (ordering only); `name:1` is a second output, which no supported op has.
    const data = inputs.filter((name) => !name.startsWith("^")).map((name) => name.replace(/:0$/, ""));
    return { name: node.name, op: node.op, inputs: data, attr: (node.attr ?? {}) as Record<string, unknown> };
  });
}

/** The outputs in the signature's order: `signature` (newer converters) or `userDefinedMetadata.signature`. */
function readSignatureOutputs(modelJson: Record<string, unknown>, nodeNames: ReadonlySet<string>): SignatureOutput[] {
  const signature = (modelJson.signature ?? (modelJson.userDefinedMetadata as { signature?: unknown } | undefined)?.signature) as
    | { outputs?: Record<string, { name?: unknown; tensorShape?: { dim?: { size?: unknown }[] } }> }
    | undefined;
  const entries = Object.entries(signature?.outputs ?? {});
  if (entries.length === 0) throw malformed("a signature naming the outputs", "modelJson.signature.outputs", signature?.outputs);
  return entries.map(([key, output]) => {
    const tensor = typeof output.name === "string" ? output.name : key;
    const dims = output.tensorShape?.dim ?? [];
    const short = key.replace(/:0$/, "").replace(/[^A-Za-z0-9_]/g, "_");
    return {
      name: nodeNames.has(short) ? key : short,
      node: tensor.replace(/:0$/, ""),
      shape: dims.map((dim, axis) => (Number(dim.size) > 0 ? Number(dim.size) : axis === 0 ? "batch" : `d${axis}`)),
    };
  });
}

function graphInput(placeholder: GraphNode): OnnxValueInfo {
  const dims = ((placeholder.attr.shape as { shape?: { dim?: { size?: unknown }[] } } | undefined)?.shape?.dim ?? []).map((dim) => Number(dim.size));
  if (dims.length !== 4) throw malformed("an NHWC image shape", `${placeholder.name}.shape`, dims);
  const [, height, width, channels] = dims;
  const size = (value: number, name: string): number | string => (value > 0 ? value : name);
  return { name: GRAPH_INPUT_NAME, dataType: TensorDataType.FLOAT, shape: ["batch", size(height, "height"), size(width, "width"), size(channels, "channels")] };
}

/** The nodes in an order where every node follows its inputs (frozen graphs are usually listed so already). */
function topologicalOrder(nodes: readonly GraphNode[]): GraphNode[] {
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const ordered: GraphNode[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (node: GraphNode): void => {
    const seen = state.get(node.name);
    if (seen === "done") return;
    if (seen === "visiting") throw new PortraitError("MODEL_CONVERSION_FAILED", `TF.js graph has a cycle through ${node.name}`, { format: "tfjs-graph", node: node.name });
    state.set(node.name, "visiting");
    for (const input of node.inputs) {
      const source = byName.get(input);
      if (source === undefined) {
        throw new PortraitError("MODEL_CONVERSION_FAILED", `TF.js node ${node.name} takes its input from an unknown node ${input}`, { format: "tfjs-graph", node: node.name });
      }
      visit(source);
    }
    state.set(node.name, "done");
    ordered.push(node);
  };
  for (const node of nodes) visit(node);
  return ordered;
}
