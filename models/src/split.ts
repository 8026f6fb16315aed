/**
 * Cuts a converted ONNX image model in two at one tensor: a first stage from the image input
 * to that tensor and a second stage from that tensor to the image output. x4plus (RRDBNet) is
 * cut after its trunk (23 RRDB blocks plus the residual, 64 channels at 1×): the trunk needs a
 * wide context but little memory per pixel, the upsampling tail the reverse, so the tiled
 * driver runs each on tiles sized to its own facts. Pure: bytes in, bytes out, deterministic.
 */
import { PortraitError } from "@portrait-upscale/shared";
import { onnxModelProto } from "./onnx/onnx-proto";

/** The tensor that carries the cut: the first stage's output and the second stage's input. */
export const STAGE_TENSOR = "features";

/** The two halves of a model, as `.onnx` bytes. */
export interface SplitModel {
  /** input → {@link STAGE_TENSOR} (float32 [1, channels, height, width]). */
  readonly first: Uint8Array;
  /** {@link STAGE_TENSOR} → output. */
  readonly second: Uint8Array;
}

interface NodeProto {
  input: string[];
  output: string[];
  name: string;
}
interface NamedProto {
  name: string;
}
interface GraphProto {
  node: NodeProto[];
  initializer: NamedProto[];
  input: NamedProto[];
  output: NamedProto[];
  valueInfo?: NamedProto[];
  name: string;
}
interface ModelProto {
  graph: GraphProto;
  [field: string]: unknown;
}

/**
 * Splits `onnx` at the tensor `cut` (which must have `channels` channels, same batch).
 * Throws MODEL_CONVERSION_FAILED when the cut does not separate the graph (a node after it
 * reads the image input or a tensor computed before the cut other than the cut itself).
 * @example
 * const { first, second } = splitOnnxModel(readFileSync("realesrgan-x4plus.onnx"), "1878", 64);
 */
export function splitOnnxModel(onnx: Uint8Array, cut: string, channels: number): SplitModel {
  const type = onnxModelProto();
  const model = type.toObject(type.decode(onnx), { defaults: false }) as ModelProto;
  const graph = model.graph;
  const inputName = graph.input[0].name;
  const outputName = graph.output[0].name;
  const producer = new Map<string, NodeProto>();
  for (const node of graph.node) for (const output of node.output) producer.set(output, node);
  if (!producer.has(cut)) throw splitError(`no node produces the tensor "${cut}"`, cut);

  const firstNodes = closure(producer, [cut], new Set([inputName]));
  const secondNodes = closure(producer, [outputName], new Set([cut]));
  for (const node of secondNodes) {
    if (firstNodes.has(node)) throw splitError(`node ${node.name} is needed on both sides of the cut`, cut);
    for (const input of node.input) {
      if (input === inputName) throw splitError(`node ${node.name} after the cut reads the image input`, cut);
    }
  }

  const featureInfo = {
    name: STAGE_TENSOR,
    type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: channels }, { dimParam: "height" }, { dimParam: "width" }] } } },
  };
  const first = stage(model, firstNodes, { input: graph.input, output: [featureInfo], rename: new Map([[cut, STAGE_TENSOR]]), suffix: "stage 1" });
  const second = stage(model, secondNodes, { input: [featureInfo], output: graph.output, rename: new Map([[cut, STAGE_TENSOR]]), suffix: "stage 2" });
  return { first: type.encode(type.fromObject(first)).finish(), second: type.encode(type.fromObject(second)).finish() };
}

/** The nodes needed to compute `targets`, stopping at `sources` (graph inputs or the cut). */
function closure(producer: ReadonlyMap<string, NodeProto>, targets: readonly string[], sources: ReadonlySet<string>): Set<NodeProto> {
  const needed = new Set<NodeProto>();
  const pending = [...targets];
  while (pending.length > 0) {
    const tensor = pending.pop()!;
    if (sources.has(tensor)) continue;
    const node = producer.get(tensor);
    if (node === undefined || needed.has(node)) continue;
    needed.add(node);
    for (const input of node.input) if (input !== "") pending.push(input);
  }
  return needed;
}

interface StageShape {
  readonly input: readonly unknown[];
  readonly output: readonly unknown[];
  readonly rename: ReadonlyMap<string, string>;
  readonly suffix: string;
}

function stage(model: ModelProto, keep: ReadonlySet<NodeProto>, shape: StageShape): ModelProto {
  const graph = model.graph;
  const renamed = (name: string) => shape.rename.get(name) ?? name;
  // Keep the original order: it is already topological.
  const nodes = graph.node.filter((node) => keep.has(node)).map((node) => ({ ...node, input: node.input.map(renamed), output: node.output.map(renamed) }));
  const used = new Set(nodes.flatMap((node) => node.input));
  const { valueInfo: _dropped, ...rest } = graph;
  return {
    ...model,
    graph: {
      ...rest,
      name: `${graph.name} ${shape.suffix}`,
      node: nodes,
      initializer: graph.initializer.filter((tensor) => used.has(tensor.name)),
      input: [...shape.input],
      output: [...shape.output],
    } as GraphProto,
  };
}

function splitError(reason: string, cut: string): PortraitError {
  return new PortraitError("MODEL_CONVERSION_FAILED", `Cannot split the model at "${cut}": ${reason}.`, { cut });
}
