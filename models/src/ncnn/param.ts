/**
 * Parser for NCNN's text `.param` format:
 *
 *     7767517
 *     <layer count> <blob count>
 *     <Type> <name> <input count> <output count> <inputs…> <outputs…> <key=value…>
 *
 * A key of -23300-n holds an array for key n, written `count,v1,v2,…`.
 */
import { PortraitError } from "@portrait-upscale/shared";

export const NCNN_PARAM_MAGIC = 7767517;
const ARRAY_KEY_BASE = -23300;

/** A parameter value: a number, or an array for keys written as -23300-n. */
export type NcnnParamValue = number | readonly number[];

export interface NcnnLayer {
  readonly type: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Keyed by the plain key (an array written under -23310 is stored under 10). */
  readonly params: ReadonlyMap<number, NcnnParamValue>;
  /** 1-based line in the `.param` text, for error messages. */
  readonly line: number;
}

export interface NcnnParam {
  readonly layers: readonly NcnnLayer[];
  readonly blobCount: number;
}

/** Parses a `.param` text; throws MODEL_CONVERSION_FAILED naming the line on any malformation. */
export function parseNcnnParam(text: string): NcnnParam {
  const lines = text.split(/\r?\n/).map((line, index) => ({ tokens: line.trim().split(/\s+/).filter(Boolean), line: index + 1 }));
  const content = lines.filter((entry) => entry.tokens.length > 0);
  if (content.length === 0 || Number(content[0].tokens[0]) !== NCNN_PARAM_MAGIC || content[0].tokens.length !== 1) {
    throw paramError(content[0]?.line ?? 1, `the first line must be the magic number ${NCNN_PARAM_MAGIC}`);
  }
  const header = content[1];
  const layerCount = header ? parseInteger(header.tokens[0]) : undefined;
  const blobCount = header ? parseInteger(header.tokens[1]) : undefined;
  if (!header || header.tokens.length !== 2 || layerCount === undefined || blobCount === undefined) {
    throw paramError(header?.line ?? 2, "the second line must hold the layer count and the blob count");
  }
  const layerLines = content.slice(2);
  if (layerLines.length !== layerCount) {
    throw paramError(header.line, `the header announces ${layerCount} layers but ${layerLines.length} follow`);
  }
  return { layers: layerLines.map(({ tokens, line }) => parseLayer(tokens, line)), blobCount };
}

function parseLayer(tokens: readonly string[], line: number): NcnnLayer {
  const [type, name, inputText, outputText] = tokens;
  const inputCount = parseInteger(inputText);
  const outputCount = parseInteger(outputText);
  if (!type || !name || inputCount === undefined || outputCount === undefined || inputCount < 0 || outputCount < 0) {
    throw paramError(line, "a layer line must start with: type name inputCount outputCount");
  }
  const blobEnd = 4 + inputCount + outputCount;
  if (tokens.length < blobEnd) throw paramError(line, `layer ${name} lists fewer blobs than it announces`, name);
  const inputs = tokens.slice(4, 4 + inputCount);
  const outputs = tokens.slice(4 + inputCount, blobEnd);

  const params = new Map<number, NcnnParamValue>();
  for (const token of tokens.slice(blobEnd)) {
    const match = /^(-?\d+)=(.*)$/.exec(token);
    if (!match) throw paramError(line, `layer ${name} has a malformed parameter "${token}"`, name);
    const rawKey = Number(match[1]);
    const isArray = rawKey <= ARRAY_KEY_BASE;
    const key = isArray ? ARRAY_KEY_BASE - rawKey : rawKey;
    if (params.has(key)) throw paramError(line, `layer ${name} sets parameter ${key} twice`, name);
    params.set(key, isArray ? parseArray(match[2], line, name, key) : parseNumber(match[2], line, name, key));
  }
  return { type, name, inputs, outputs, params, line };
}

function parseArray(text: string, line: number, layer: string, key: number): readonly number[] {
  const [countText, ...items] = text.split(",");
  const count = parseInteger(countText);
  if (count === undefined || count !== items.length) {
    throw paramError(line, `layer ${layer} array parameter ${key} announces ${countText} values but has ${items.length}`, layer);
  }
  return items.map((item) => parseNumber(item, line, layer, key));
}

function parseNumber(text: string, line: number, layer: string, key: number): number {
  const value = text.trim() === "" ? Number.NaN : Number(text);
  if (!Number.isFinite(value)) throw paramError(line, `layer ${layer} parameter ${key} is not a number: "${text}"`, layer);
  return value;
}

function parseInteger(text: string | undefined): number | undefined {
  return text !== undefined && /^-?\d+$/.test(text) ? Number(text) : undefined;
}

function paramError(line: number, detail: string, layer?: string): PortraitError {
  return new PortraitError("MODEL_CONVERSION_FAILED", `Invalid NCNN .param (line ${line}): ${detail}`, {
    format: "ncnn",
    line,
    ...(layer === undefined ? {} : { layer }),
  });
}

/** A layer's integer or float parameter, or `fallback` when absent. */
export function scalarParam(layer: NcnnLayer, key: number, fallback: number): number {
  const value = layer.params.get(key);
  if (value === undefined) return fallback;
  if (typeof value !== "number") {
    throw new PortraitError("MODEL_CONVERSION_FAILED", `NCNN layer ${layer.name} expects a number for parameter ${key}, not an array`, {
      format: "ncnn",
      layer: layer.name,
      line: layer.line,
    });
  }
  return value;
}

/** A layer's array parameter (written under -23300-key), or an empty array when absent. */
export function arrayParam(layer: NcnnLayer, key: number): readonly number[] {
  const value = layer.params.get(key);
  if (value === undefined) return [];
  if (typeof value === "number") {
    throw new PortraitError("MODEL_CONVERSION_FAILED", `NCNN layer ${layer.name} expects an array for parameter ${key}, not a number`, {
      format: "ncnn",
      layer: layer.name,
      line: layer.line,
    });
  }
  return value;
}
