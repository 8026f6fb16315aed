// The converters install runs: manifest converter kind → function from a model's verified
// source files to ONNX bytes.
import { PortraitError } from "@portrait-upscale/shared";
import { posix } from "node:path";
import type { ConvertFn } from "./install";
import type { ConverterKind } from "./manifest";
import { convertNcnnToOnnx } from "./ncnn/index";
import { convertTfjsToOnnx } from "./tfjs/index";
import { convertTfjsGraphToOnnx } from "./tfjs-graph/index";

/** The converter for each `converter` kind in the manifest. */
export const DEFAULT_CONVERTERS: Record<ConverterKind, ConvertFn> = {
  copy: (files) => [...files.values()][0],
  ncnn: (files, model) => {
    const param = [...files].find(([path]) => path.endsWith(".param"))![1];
    const bin = [...files].find(([path]) => path.endsWith(".bin"))![1];
    return convertNcnnToOnnx({ param: new TextDecoder().decode(param), bin, graphName: model.id });
  },
  "tfjs-layers": (files, model) => convertTfjsToOnnx({ ...tfjsWeightData(files), graphName: model.id }),
  "tfjs-graph": (files, model) => convertTfjsGraphToOnnx({ ...tfjsWeightData(files), graphName: model.id }),
};

/**
 * Concatenates a TF.js model's weight shards in the order its `weightsManifest` lists
 * them (paths are relative to model.json), which is the order the weight specs index into.
 */
export function tfjsWeightData(files: ReadonlyMap<string, Uint8Array>): { modelJson: unknown; weightData: Uint8Array } {
  const jsonPath = [...files.keys()].find((path) => path.endsWith(".json"))!;
  const modelJson: unknown = JSON.parse(new TextDecoder().decode(files.get(jsonPath)));
  const groups = (modelJson as { weightsManifest?: { paths?: unknown }[] }).weightsManifest;
  if (!Array.isArray(groups)) throw new PortraitError("MODEL_CONVERSION_FAILED", `${jsonPath} has no weightsManifest`, { file: jsonPath });
  const base = posix.dirname(jsonPath);
  const shards = groups.flatMap((group) => (Array.isArray(group.paths) ? group.paths : [])).map((relative) => {
    const path = posix.join(base, String(relative));
    const shard = files.get(path);
    if (shard === undefined) throw new PortraitError("MODEL_CONVERSION_FAILED", `${jsonPath} names a weight shard ${path} that the manifest does not list`, { file: path });
    return shard;
  });
  return { modelJson, weightData: Buffer.concat(shards) };
}
