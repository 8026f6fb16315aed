/**
 * The Keras functional config's graph: its layers, who feeds whom, and an order in which
 * every layer follows its inputs. What each layer computes is index.ts's business.
 */
import { PortraitError } from "@portrait-upscale/shared";
import { malformed } from "./weights";

/** One layer of the Keras functional config. */
export interface KerasLayer {
  readonly className: string;
  readonly name: string;
  readonly config: Readonly<Record<string, unknown>>;
  /** Names of the layers whose outputs feed this layer's single call. */
  readonly inbound: readonly string[];
}

/** The functional config's `layers`, checked: unique names, one call each, Keras 2 inbound tensors. */
export function readLayers(value: unknown): KerasLayer[] {
  if (!Array.isArray(value)) throw malformed("an array", "model_config.config.layers", value);
  const names = new Set<string>();
  return value.map((entry: unknown, index) => {
    const layer = (entry ?? {}) as Record<string, unknown>;
    const where = `layers[${index}]`;
    if (typeof layer.class_name !== "string") throw malformed("a string", `${where}.class_name`, layer.class_name);
    const config = (layer.config ?? {}) as Record<string, unknown>;
    const name = typeof layer.name === "string" ? layer.name : config.name;
    if (typeof name !== "string") throw malformed("a string", `${where}.name`, name);
    if (names.has(name)) throw malformed("unique layer names", `${where}.name`, name);
    names.add(name);
    const calls = layer.inbound_nodes;
    if (!Array.isArray(calls)) throw malformed("an array", `${where}.inbound_nodes`, calls);
    if (calls.length > 1) {
      throw new PortraitError("MODEL_CONVERSION_FAILED", `TF.js layer ${name} is called ${calls.length} times; shared layers are not supported`, {
        format: "tfjs",
        layer: name,
      });
    }
    const inbound = calls.length === 0 ? [] : readCall(calls[0], `${where}.inbound_nodes[0]`);
    return { className: layer.class_name, name, config, inbound };
  });
}

/** A Keras 2 call: `[[layerName, nodeIndex, tensorIndex, kwargs], …]`. */
function readCall(call: unknown, where: string): string[] {
  if (!Array.isArray(call)) throw malformed("an array of inbound tensors", where, call);
  return call.map((tensor: unknown, index) => {
    if (!Array.isArray(tensor) || typeof tensor[0] !== "string" || tensor[1] !== 0 || tensor[2] !== 0) {
      throw malformed("[layerName, 0, 0, {}]", `${where}[${index}]`, tensor);
    }
    return tensor[0];
  });
}

/** The one layer named by `input_layers` or `output_layers`. */
export function singleEndpoint(value: unknown, name: string): string {
  if (!Array.isArray(value) || value.length !== 1 || !Array.isArray(value[0]) || typeof value[0][0] !== "string") {
    throw malformed("exactly one [layerName, 0, 0]", `model_config.config.${name}`, value);
  }
  return value[0][0];
}

/** The layers in an order where every layer follows its inputs (Keras usually lists them so already). */
export function topologicalOrder(layers: readonly KerasLayer[]): KerasLayer[] {
  const known = new Set(layers.map((layer) => layer.name));
  for (const layer of layers) {
    const missing = layer.inbound.find((name) => !known.has(name));
    if (missing !== undefined) {
      throw new PortraitError("MODEL_CONVERSION_FAILED", `TF.js layer ${layer.name} takes its input from an unknown layer ${missing}`, {
        format: "tfjs",
        layer: layer.name,
      });
    }
  }
  const done = new Set<string>();
  const ordered: KerasLayer[] = [];
  let pending = [...layers];
  while (pending.length > 0) {
    const ready = pending.filter((layer) => layer.inbound.every((name) => done.has(name)));
    if (ready.length === 0) {
      throw new PortraitError("MODEL_CONVERSION_FAILED", "TF.js layers form a cycle", {
        format: "tfjs",
        layers: pending.map((layer) => layer.name),
      });
    }
    for (const layer of ready) {
      done.add(layer.name);
      ordered.push(layer);
    }
    pending = pending.filter((layer) => !done.has(layer.name));
  }
  return ordered;
}
