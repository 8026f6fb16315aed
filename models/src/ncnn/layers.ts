/**
 * NCNN layers → ONNX nodes, one function a layer type. Each checks its parameters and its
 * blobs' shapes, and records the blobs it produces in the conversion (./conversion).
 */
import { attr, type OnnxAttribute } from "../onnx/model";
import { IMAGE_INPUT } from "../onnx/graph-builder";
import { layerError, type NcnnConversion } from "./conversion";
import { arrayParam, scalarParam, type NcnnLayer } from "./param";

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

/** Adds `layer`'s nodes to the graph; throws MODEL_CONVERSION_FAILED for a layer type or parameter it does not know. */
export function convertLayer(conversion: NcnnConversion, layer: NcnnLayer): void {
  switch (layer.type) {
    case "Input": {
      // Key 2 is the channel count when the network declares one (0 or absent: any).
      const channels = scalarParam(layer, 2, 0);
      if (channels !== 0 && channels !== 3) throw layerError(layer, `the input has ${channels} channels; an RGB model has 3`);
      return conversion.defineBlob(layer, layer.outputs[0], { tensor: IMAGE_INPUT.name, channels: 3, scale: 1 });
    }
    case "Split":
      return split(conversion, layer);
    case "Convolution":
      return convolution(conversion, layer);
    case "PReLU":
      return prelu(conversion, layer);
    case "ReLU":
      return relu(conversion, layer);
    case "Sigmoid":
      return unary(conversion, layer, "Sigmoid");
    case "PixelShuffle":
      return pixelShuffle(conversion, layer);
    case "Interp":
      return interp(conversion, layer);
    case "BinaryOp":
      return binaryOp(conversion, layer);
    case "Eltwise":
      return eltwise(conversion, layer);
    case "Concat":
      return concat(conversion, layer);
    default:
      throw layerError(
        layer,
        `unsupported NCNN layer type ${layer.type}; supported: Input, Split, Convolution, PReLU, ReLU, Sigmoid, ` +
          "PixelShuffle, Interp, BinaryOp, Eltwise, Concat",
      );
  }
}

function split(conversion: NcnnConversion, layer: NcnnLayer): void {
  const [source] = conversion.inputs(layer, 1);
  layer.outputs.forEach((blob) => conversion.defineBlob(layer, blob, source, 1, layer.outputs.length));
}

function convolution(conversion: NcnnConversion, layer: NcnnLayer): void {
  const [source] = conversion.inputs(layer, 1);
  conversion.expectOutputs(layer, 1);
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
  const weightName = conversion.weightTensor(`${layer.name}.weight`, dims, conversion.weights.readTagged(layer.name, weightCount));
  const inputs = [source.tensor, weightName];
  if (hasBias) inputs.push(conversion.graph.floats(`${layer.name}.bias`, [outChannels], conversion.weights.readFloats(layer.name, outChannels)));

  const activation = scalarParam(layer, 9, 0);
  const convOutput = activation === 0 ? conversion.tensorName(layer.outputs[0]) : `${layer.name}.conv`;
  conversion.graph.node("Conv", layer.name, inputs, [convOutput], {
    kernel_shape: attr.ints([kernelH, kernelW]),
    strides: attr.ints([strideH, strideW]),
    dilations: attr.ints([dilationH, dilationW]),
    pads: attr.ints([padTop, padLeft, padBottom, padRight]),
  });
  if (activation !== 0) fusedActivation(conversion, layer, activation, convOutput);
  conversion.defineBlob(layer, layer.outputs[0], {
    tensor: conversion.tensorName(layer.outputs[0]),
    channels: outChannels,
    scale: source.scale / strideW,
  });
}

/** NCNN's fused activations: 1 ReLU, 2 leaky ReLU, 3 clip, 4 sigmoid, 5 mish, 6 hard-swish. */
function fusedActivation(conversion: NcnnConversion, layer: NcnnLayer, type: number, input: string): void {
  const output = conversion.tensorName(layer.outputs[0]);
  const params = arrayParam(layer, 10);
  const name = `${layer.name}.activation`;
  switch (type) {
    case 1:
      return conversion.graph.node("Relu", name, [input], [output]);
    case 2:
      return conversion.graph.node("LeakyRelu", name, [input], [output], { alpha: attr.float(params[0] ?? 0) });
    case 3: {
      const min = conversion.graph.floats(`${layer.name}.clip_min`, [], Float32Array.of(params[0] ?? -Infinity));
      const max = conversion.graph.floats(`${layer.name}.clip_max`, [], Float32Array.of(params[1] ?? Infinity));
      return conversion.graph.node("Clip", name, [input, min, max], [output]);
    }
    case 4:
      return conversion.graph.node("Sigmoid", name, [input], [output]);
    case 5: {
      // Mish(x) = x · tanh(softplus(x)); opset 17 has no Mish operator.
      conversion.graph.node("Softplus", `${name}.softplus`, [input], [`${name}.softplus`]);
      conversion.graph.node("Tanh", `${name}.tanh`, [`${name}.softplus`], [`${name}.tanh`]);
      return conversion.graph.node("Mul", name, [input, `${name}.tanh`], [output]);
    }
    case 6: {
      const alpha = params[0] ?? 1 / 6;
      const beta = params[1] ?? 0.5;
      conversion.graph.node("HardSigmoid", `${name}.hardsigmoid`, [input], [`${name}.hardsigmoid`], {
        alpha: attr.float(alpha),
        beta: attr.float(beta),
      });
      return conversion.graph.node("Mul", name, [input, `${name}.hardsigmoid`], [output]);
    }
    default:
      throw layerError(layer, `unsupported fused activation type ${type}`);
  }
}

function prelu(conversion: NcnnConversion, layer: NcnnLayer): void {
  const [source] = conversion.inputs(layer, 1);
  conversion.expectOutputs(layer, 1);
  const count = scalarParam(layer, 0, 0);
  if (count !== 1 && count !== source.channels) {
    throw layerError(layer, `${count} slopes do not fit ${source.channels} channels`);
  }
  const slopeDims = count === 1 ? [1] : [count, 1, 1];
  const slope = conversion.graph.floats(`${layer.name}.slope`, slopeDims, conversion.weights.readFloats(layer.name, count));
  conversion.emitSameShape(layer, source, "PRelu", [source.tensor, slope]);
}

function relu(conversion: NcnnConversion, layer: NcnnLayer): void {
  const [source] = conversion.inputs(layer, 1);
  conversion.expectOutputs(layer, 1);
  const slope = scalarParam(layer, 0, 0);
  if (slope === 0) conversion.emitSameShape(layer, source, "Relu", [source.tensor]);
  else conversion.emitSameShape(layer, source, "LeakyRelu", [source.tensor], { alpha: attr.float(slope) });
}

function unary(conversion: NcnnConversion, layer: NcnnLayer, opType: string): void {
  const [source] = conversion.inputs(layer, 1);
  conversion.expectOutputs(layer, 1);
  conversion.emitSameShape(layer, source, opType, [source.tensor]);
}

function pixelShuffle(conversion: NcnnConversion, layer: NcnnLayer): void {
  const [source] = conversion.inputs(layer, 1);
  conversion.expectOutputs(layer, 1);
  const factor = scalarParam(layer, 0, 1);
  const mode = scalarParam(layer, 1, 0);
  if (source.channels % (factor * factor) !== 0) {
    throw layerError(layer, `${source.channels} channels cannot be shuffled by a factor of ${factor}`);
  }
  if (mode !== 0 && mode !== 1) throw layerError(layer, `unknown pixel shuffle mode ${mode}`);
  const output = conversion.tensorName(layer.outputs[0]);
  // Mode 0 is PyTorch's pixel_shuffle (channel-major: CRD); mode 1 is TensorFlow's depth_to_space (DCR).
  conversion.graph.node("DepthToSpace", layer.name, [source.tensor], [output], {
    blocksize: attr.int(factor),
    mode: attr.string(mode === 0 ? "CRD" : "DCR"),
  });
  conversion.defineBlob(layer, layer.outputs[0], { tensor: output, channels: source.channels / (factor * factor), scale: source.scale * factor });
}

function interp(conversion: NcnnConversion, layer: NcnnLayer): void {
  const [source] = conversion.inputs(layer, 1);
  conversion.expectOutputs(layer, 1);
  const mode = INTERP_MODES[scalarParam(layer, 0, 0)];
  const heightScale = scalarParam(layer, 1, 1);
  const widthScale = scalarParam(layer, 2, 1);
  const alignCorners = scalarParam(layer, 6, 0) !== 0;
  if (!mode) throw layerError(layer, `unsupported interpolation type ${scalarParam(layer, 0, 0)}`);
  if (scalarParam(layer, 3, 0) !== 0 || scalarParam(layer, 4, 0) !== 0 || scalarParam(layer, 5, 0) !== 0) {
    throw layerError(layer, "resizing to a fixed or dynamic output size is not supported, only by a scale factor");
  }
  if (heightScale !== widthScale) throw layerError(layer, "different vertical and horizontal scales are not supported");
  const scales = conversion.graph.floats(`${layer.name}.scales`, [4], Float32Array.of(1, 1, heightScale, widthScale));
  const attributes: Record<string, OnnxAttribute> =
    mode === "nearest"
      ? // NCNN's nearest picks source pixel floor(x / scale), PyTorch's default.
        { mode: attr.string("nearest"), coordinate_transformation_mode: attr.string("asymmetric"), nearest_mode: attr.string("floor") }
      : {
          mode: attr.string(mode),
          coordinate_transformation_mode: attr.string(alignCorners ? "align_corners" : "half_pixel"),
          ...(mode === "cubic" ? { cubic_coeff_a: attr.float(-0.75) } : {}),
        };
  const output = conversion.tensorName(layer.outputs[0]);
  conversion.graph.node("Resize", layer.name, [source.tensor, "", scales], [output], attributes);
  conversion.defineBlob(layer, layer.outputs[0], { tensor: output, channels: source.channels, scale: source.scale * heightScale });
}

function binaryOp(conversion: NcnnConversion, layer: NcnnLayer): void {
  const operation = BINARY_OPS[scalarParam(layer, 0, 0)];
  if (!operation) throw layerError(layer, `unsupported binary operation ${scalarParam(layer, 0, 0)}`);
  conversion.expectOutputs(layer, 1);
  const withScalar = scalarParam(layer, 1, 0) !== 0;
  const sources = conversion.inputs(layer, withScalar ? 1 : 2);
  const first = sources[0];
  let second: string;
  if (withScalar) {
    second = conversion.graph.floats(`${layer.name}.b`, [], Float32Array.of(scalarParam(layer, 2, 0)));
  } else {
    if (sources[1].channels !== first.channels || sources[1].scale !== first.scale) {
      throw layerError(layer, "broadcasting between blobs of different shapes is not supported");
    }
    second = sources[1].tensor;
  }
  const operands = operation.reversed ? [second, first.tensor] : [first.tensor, second];
  conversion.emitSameShape(layer, first, operation.op, operands);
}

function eltwise(conversion: NcnnConversion, layer: NcnnLayer): void {
  conversion.expectOutputs(layer, 1);
  const sources = conversion.inputs(layer, layer.inputs.length);
  if (sources.length < 2) throw layerError(layer, "Eltwise needs at least two inputs");
  for (const source of sources) {
    if (source.channels !== sources[0].channels || source.scale !== sources[0].scale) {
      throw layerError(layer, "Eltwise inputs differ in shape");
    }
  }
  const operation = scalarParam(layer, 0, 1);
  const coefficients = arrayParam(layer, 1);
  const output = conversion.tensorName(layer.outputs[0]);
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
    const factor = conversion.graph.floats(`${layer.name}.coeff${index}`, [], Float32Array.of(coefficient));
    const scaled = `${layer.name}.term${index}`;
    conversion.graph.node("Mul", scaled, [source.tensor, factor], [scaled]);
    return scaled;
  });
  if (opType === "Mul") {
    let product = terms[0];
    for (let index = 1; index < terms.length; index++) {
      const next = index === terms.length - 1 ? output : `${layer.name}.product${index}`;
      conversion.graph.node("Mul", index === terms.length - 1 ? layer.name : next, [product, terms[index]], [next]);
      product = next;
    }
  } else if (terms.length === 2 && opType === "Sum") {
    conversion.graph.node("Add", layer.name, terms, [output]);
  } else {
    conversion.graph.node(opType, layer.name, terms, [output]);
  }
  conversion.defineBlob(layer, layer.outputs[0], { tensor: output, channels: sources[0].channels, scale: sources[0].scale });
}

function concat(conversion: NcnnConversion, layer: NcnnLayer): void {
  conversion.expectOutputs(layer, 1);
  const sources = conversion.inputs(layer, layer.inputs.length);
  const axis = scalarParam(layer, 0, 0);
  if (axis !== 0) throw layerError(layer, `only concatenation along channels (axis 0) is supported, not axis ${axis}`);
  if (sources.some((source) => source.scale !== sources[0].scale)) throw layerError(layer, "Concat inputs differ in size");
  const output = conversion.tensorName(layer.outputs[0]);
  // NCNN blobs have no batch axis: its channel axis 0 is ONNX axis 1.
  conversion.graph.node("Concat", layer.name, sources.map((source) => source.tensor), [output], { axis: attr.int(1) });
  const channels = sources.reduce((sum, source) => sum + source.channels, 0);
  conversion.defineBlob(layer, layer.outputs[0], { tensor: output, channels, scale: sources[0].scale });
}
