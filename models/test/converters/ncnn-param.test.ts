import { describe, expect, it } from "vitest";
import { parseNcnnParam } from "../../src/ncnn/index";
import { catchPortraitError } from "./support";

const SAMPLE = [
  "7767517",
  "3 4",
  "Input            input.1      0 1 data",
  "Convolution      Conv_1       1 1 data 705 0=32 1=3 4=1 5=1 6=864 9=2 -23310=1,2.000000e-01",
  "Eltwise          Add_16       2 1 705 data 719 0=1 -23301=2,2.000000e-01,1.000000e+00",
  "",
].join("\r\n");

describe("parseNcnnParam", () => {
  it("reads layers, blobs and scalar parameters", () => {
    const { layers, blobCount } = parseNcnnParam(SAMPLE);
    expect(blobCount).toBe(4);
    expect(layers.map((layer) => [layer.type, layer.name, layer.inputs, layer.outputs])).toEqual([
      ["Input", "input.1", [], ["data"]],
      ["Convolution", "Conv_1", ["data"], ["705"]],
      ["Eltwise", "Add_16", ["705", "data"], ["719"]],
    ]);
    const conv = layers[1].params;
    expect([conv.get(0), conv.get(1), conv.get(4), conv.get(5), conv.get(6), conv.get(9)]).toEqual([32, 3, 1, 1, 864, 2]);
    expect(layers[1].line).toBe(4);
  });

  it("stores an array written under -23300-n under key n", () => {
    const { layers } = parseNcnnParam(SAMPLE);
    expect(layers[1].params.get(10)).toEqual([0.2]);
    expect(layers[2].params.get(1)).toEqual([0.2, 1]);
    expect(layers[2].params.get(0)).toBe(1);
  });

  it("rejects a wrong magic number", () => {
    const error = catchPortraitError(() => parseNcnnParam(SAMPLE.replace("7767517", "7767518")));
    expect(error.code).toBe("MODEL_CONVERSION_FAILED");
    expect(error.data).toEqual({ format: "ncnn", line: 1 });
  });

  it("rejects a layer count that does not match the lines", () => {
    const error = catchPortraitError(() => parseNcnnParam(SAMPLE.replace("3 4", "4 4")));
    expect(error.code).toBe("MODEL_CONVERSION_FAILED");
    expect(error.message).toContain("announces 4 layers but 3 follow");
  });

  it("rejects an array whose count does not match its values, naming the layer", () => {
    const error = catchPortraitError(() => parseNcnnParam(SAMPLE.replace("-23301=2,", "-23301=3,")));
    expect(error.code).toBe("MODEL_CONVERSION_FAILED");
    expect(error.data).toEqual({ format: "ncnn", line: 5, layer: "Add_16" });
  });

  it("rejects a malformed parameter and a layer with missing blobs", () => {
    expect(catchPortraitError(() => parseNcnnParam(SAMPLE.replace("5=1", "5=x"))).data).toEqual({ format: "ncnn", line: 4, layer: "Conv_1" });
    expect(catchPortraitError(() => parseNcnnParam(SAMPLE.replace("2 1 705 data 719 0=1 -23301=2,2.000000e-01,1.000000e+00", "2 1 705"))).code).toBe(
      "MODEL_CONVERSION_FAILED",
    );
  });
});
