/**
 * NCNN (`.param` + `.bin`) → ONNX, for the Real-ESRGAN weights shipped as NCNN files.
 * Pure: bytes in, bytes out; the same input always gives byte-identical output.
 */
import { invalidParameter, PortraitError } from "@portrait-upscale/shared";
import { IMAGE_OUTPUT } from "../onnx/graph-builder";
import { conversionError, layerError, NcnnConversion } from "./conversion";
import { convertLayer } from "./layers";
import { parseNcnnParam } from "./param";

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
    return convert(input.param, input.bin, input.graphName);
  } catch (error) {
    if (error instanceof PortraitError) throw error;
    throw new PortraitError("MODEL_CONVERSION_FAILED", `NCNN conversion failed: ${(error as Error).message}`, {
      format: "ncnn",
    });
  }
}

function convert(param: string, bin: Uint8Array, graphName: string): Uint8Array {
  const { layers } = parseNcnnParam(param);
  const conversion = new NcnnConversion(layers, bin);
  let inputSeen = false;
  for (const layer of layers) {
    if (layer.type === "Input") {
      if (inputSeen) throw layerError(layer, "the network has more than one Input layer; an image model has one");
      inputSeen = true;
    }
    convertLayer(conversion, layer);
  }
  if (!inputSeen) throw conversionError("the network has no Input layer", {});
  conversion.weights.expectEnd();

  const output = conversion.output();
  if (output.tensor !== IMAGE_OUTPUT.name) {
    // The output is an alias (e.g. a Split branch) of a tensor with another name.
    conversion.graph.node("Identity", "output_identity", [output.tensor], [IMAGE_OUTPUT.name]);
  }
  if (output.channels !== 3) throw conversionError(`the network outputs ${output.channels} channels, not RGB`, {});
  return conversion.graph.encode({
    graphName,
    docString: "Converted from NCNN .param/.bin",
    metadata: { source_format: "ncnn", scale: String(output.scale) },
  });
}
