import { describe, expect, it } from "vitest";
import { PanelError } from "../panel-errors";
import {
  activeLayerIdDescriptor,
  alignmentTransform,
  boundsFromResult,
  checkBatchPlayResults,
  layerBoundsDescriptor,
  placeEventDescriptor,
  placementTransform,
  renameLayerDescriptor,
  selectLayerDescriptor,
  transformLayerDescriptor,
} from "./descriptors";

const dontDisplay = { dialogOptions: "dontDisplay" };

describe("batchPlay descriptors", () => {
  it("selects a layer by id without showing it", () => {
    expect(selectLayerDescriptor(42)).toEqual({ _obj: "select", _target: [{ _ref: "layer", _id: 42 }], makeVisible: false, _options: dontDisplay });
  });

  it("places a file by session token, moved and scaled about the centre", () => {
    expect(placeEventDescriptor("token-1", { offsetX: -10.5, offsetY: 4, widthPercent: 25, heightPercent: 25 })).toEqual({
      _obj: "placeEvent",
      null: { _path: "token-1", _kind: "local" },
      freeTransformCenterState: { _enum: "quadCenterState", _value: "QCSAverage" },
      offset: { _obj: "offset", horizontal: { _unit: "pixelsUnit", _value: -10.5 }, vertical: { _unit: "pixelsUnit", _value: 4 } },
      width: { _unit: "percentUnit", _value: 25 },
      height: { _unit: "percentUnit", _value: 25 },
      _options: dontDisplay,
    });
  });

  it("transforms the active layer about its centre", () => {
    expect(transformLayerDescriptor({ offsetX: 1, offsetY: 2, widthPercent: 50, heightPercent: 200 })).toEqual({
      _obj: "transform",
      _target: [{ _ref: "layer", _enum: "ordinal", _value: "targetEnum" }],
      freeTransformCenterState: { _enum: "quadCenterState", _value: "QCSAverage" },
      offset: { _obj: "offset", horizontal: { _unit: "pixelsUnit", _value: 1 }, vertical: { _unit: "pixelsUnit", _value: 2 } },
      width: { _unit: "percentUnit", _value: 50 },
      height: { _unit: "percentUnit", _value: 200 },
      _options: dontDisplay,
    });
  });

  it("gets bounds and the active layer id, renames a layer", () => {
    expect(layerBoundsDescriptor(7)).toEqual({ _obj: "get", _target: [{ _property: "boundsNoEffects" }, { _ref: "layer", _id: 7 }], _options: dontDisplay });
    expect(activeLayerIdDescriptor()).toEqual({
      _obj: "get",
      _target: [{ _property: "layerID" }, { _ref: "layer", _enum: "ordinal", _value: "targetEnum" }],
      _options: dontDisplay,
    });
    expect(renameLayerDescriptor(7, "Face ×4 (Natural)")).toEqual({
      _obj: "set",
      _target: [{ _ref: "layer", _id: 7 }],
      to: { _obj: "layer", name: "Face ×4 (Natural)" },
      _options: dontDisplay,
    });
  });
});

describe("placement geometry", () => {
  it("keeps a high-resolution result inside an unresized document at 100/scale %", () => {
    // A 48×48 layer at (10, 20) in a 100×80 document, upscaled ×4 to 192×192.
    const target = { left: 10, top: 20, right: 58, bottom: 68 };
    expect(placementTransform(100, 80, 192, 192, target)).toEqual({ offsetX: -16, offsetY: 4, widthPercent: 25, heightPercent: 25 });
  });

  it("places at 100 % in an enlarged document", () => {
    const target = { left: 40, top: 80, right: 232, bottom: 272 };
    expect(placementTransform(400, 320, 192, 192, target)).toEqual({ offsetX: -64, offsetY: 16, widthPercent: 100, heightPercent: 100 });
  });

  it("corrects a placed layer that Photoshop shrank to fit the canvas", () => {
    const target = { left: 0, top: -20, right: 200, bottom: 180 };
    const shrunk = { left: 0, top: 0, right: 100, bottom: 100 };
    expect(alignmentTransform(shrunk, target)).toEqual({ offsetX: 50, offsetY: 30, widthPercent: 200, heightPercent: 200 });
    expect(alignmentTransform(target, target)).toBeUndefined();
    expect(alignmentTransform({ ...target, right: 200.005 }, target)).toBeUndefined();
  });

  it("reads bounds from a get result in either spelling", () => {
    const px = (v: number) => ({ _unit: "pixelsUnit", _value: v });
    expect(boundsFromResult({ boundsNoEffects: { left: px(1), top: px(2), right: px(3), bottom: px(4) } })).toEqual({ left: 1, top: 2, right: 3, bottom: 4 });
    expect(boundsFromResult({ bounds: { left: 1, top: 2, right: 3, bottom: 4 } })).toEqual({ left: 1, top: 2, right: 3, bottom: 4 });
    expect(() => boundsFromResult({})).toThrowError(PanelError);
  });
});

describe("batchPlay results", () => {
  it("accepts ordinary results and rejects any error entry by code", () => {
    expect(() => checkBatchPlayResults([{ _obj: "placeEvent" }, {}], "place")).not.toThrow();
    try {
      checkBatchPlayResults([{}, { _obj: "error", message: "The object is not available.", result: -25920 }], "place");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PanelError);
      expect((error as PanelError).code).toBe("PHOTOSHOP_COMMAND_FAILED");
      expect((error as PanelError).data).toEqual({ command: "place", photoshopMessage: "The object is not available.", number: -25920 });
    }
  });
});
