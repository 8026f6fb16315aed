/**
 * The batchPlay descriptors the UXP adapter sends, built by pure functions so each can be
 * checked in a unit test. batchPlay mostly resolves with `{_obj: "error"}` entries instead of
 * rejecting, so every result goes through {@link checkBatchPlayResults}.
 */
import { PanelError } from "../panel-errors";
import { boundsHeight, boundsWidth, type Bounds } from "./adapter";

export interface Descriptor {
  readonly _obj: string;
  readonly [key: string]: unknown;
}

const DONT_DISPLAY = { dialogOptions: "dontDisplay" } as const;
const CENTRE = { _enum: "quadCenterState", _value: "QCSAverage" } as const;

function pixels(value: number): { _unit: "pixelsUnit"; _value: number } {
  return { _unit: "pixelsUnit", _value: value };
}

function percent(value: number): { _unit: "percentUnit"; _value: number } {
  return { _unit: "percentUnit", _value: value };
}

/** Makes `layerId` the only active layer, so a placed file lands directly above it. */
export function selectLayerDescriptor(layerId: number): Descriptor {
  return { _obj: "select", _target: [{ _ref: "layer", _id: layerId }], makeVisible: false, _options: DONT_DISPLAY };
}

/** A move and scale about the centre, as placeEvent and transform take them. */
export interface CentredTransform {
  /** Pixels the centre moves by. */
  readonly offsetX: number;
  readonly offsetY: number;
  /** Size relative to the content's own, in percent. */
  readonly widthPercent: number;
  readonly heightPercent: number;
}

/**
 * Places a file as an embedded smart object. Photoshop centres placed content on the canvas,
 * so `offsetX/Y` move it from there; the file is named by a session token
 * (`localFileSystem.createSessionToken`).
 */
export function placeEventDescriptor(token: string, transform: CentredTransform): Descriptor {
  return {
    _obj: "placeEvent",
    null: { _path: token, _kind: "local" },
    freeTransformCenterState: CENTRE,
    offset: { _obj: "offset", horizontal: pixels(transform.offsetX), vertical: pixels(transform.offsetY) },
    width: percent(transform.widthPercent),
    height: percent(transform.heightPercent),
    _options: DONT_DISPLAY,
  };
}

/**
 * How to place content of `contentWidth × contentHeight` pixels so that it covers `target`
 * in a document of `documentWidth × documentHeight`.
 */
export function placementTransform(
  documentWidth: number,
  documentHeight: number,
  contentWidth: number,
  contentHeight: number,
  target: Bounds,
): CentredTransform {
  return {
    offsetX: target.left + boundsWidth(target) / 2 - documentWidth / 2,
    offsetY: target.top + boundsHeight(target) / 2 - documentHeight / 2,
    widthPercent: (boundsWidth(target) / contentWidth) * 100,
    heightPercent: (boundsHeight(target) / contentHeight) * 100,
  };
}

/** Transforms the active layer (a placed smart object: its content is not resampled). */
export function transformLayerDescriptor(transform: CentredTransform): Descriptor {
  return {
    _obj: "transform",
    _target: [{ _ref: "layer", _enum: "ordinal", _value: "targetEnum" }],
    freeTransformCenterState: CENTRE,
    offset: { _obj: "offset", horizontal: pixels(transform.offsetX), vertical: pixels(transform.offsetY) },
    width: percent(transform.widthPercent),
    height: percent(transform.heightPercent),
    _options: DONT_DISPLAY,
  };
}

/** Largest misplacement (pixels) left alone after placing: less is invisible and not worth a transform. */
const ALIGNMENT_TOLERANCE = 0.01;

/**
 * The transform that moves a placed layer from `actual` to `target` bounds, or undefined when
 * it is already there. Needed because Photoshop's "Resize Image During Place" preference may
 * shrink a placed file to fit the canvas, and would otherwise squash or shift the result.
 */
export function alignmentTransform(actual: Bounds, target: Bounds): CentredTransform | undefined {
  const off = Math.max(
    Math.abs(actual.left - target.left),
    Math.abs(actual.top - target.top),
    Math.abs(actual.right - target.right),
    Math.abs(actual.bottom - target.bottom),
  );
  if (off <= ALIGNMENT_TOLERANCE) return undefined;
  return {
    offsetX: (target.left + target.right) / 2 - (actual.left + actual.right) / 2,
    offsetY: (target.top + target.bottom) / 2 - (actual.top + actual.bottom) / 2,
    widthPercent: (boundsWidth(target) / boundsWidth(actual)) * 100,
    heightPercent: (boundsHeight(target) / boundsHeight(actual)) * 100,
  };
}

/** Asks for a layer's bounds without effects (drop shadows would enlarge them). */
export function layerBoundsDescriptor(layerId: number): Descriptor {
  return { _obj: "get", _target: [{ _property: "boundsNoEffects" }, { _ref: "layer", _id: layerId }], _options: DONT_DISPLAY };
}

/** Asks for the active layer's id (the one a place just made). */
export function activeLayerIdDescriptor(): Descriptor {
  return { _obj: "get", _target: [{ _property: "layerID" }, { _ref: "layer", _enum: "ordinal", _value: "targetEnum" }], _options: DONT_DISPLAY };
}

/** Renames a layer. */
export function renameLayerDescriptor(layerId: number, name: string): Descriptor {
  return { _obj: "set", _target: [{ _ref: "layer", _id: layerId }], to: { _obj: "layer", name }, _options: DONT_DISPLAY };
}

/** Reads `bounds`/`boundsNoEffects` out of a `get` result. */
export function boundsFromResult(result: Record<string, unknown>): Bounds {
  const raw = (result.boundsNoEffects ?? result.bounds) as Record<string, { _value?: unknown } | number> | undefined;
  const side = (name: string): number => {
    const value = raw?.[name];
    const number = typeof value === "number" ? value : value?._value;
    if (typeof number !== "number") throw new PanelError("PHOTOSHOP_COMMAND_FAILED", `Expected a number for bounds.${name} but received ${String(number)}`);
    return number;
  };
  return { left: side("left"), top: side("top"), right: side("right"), bottom: side("bottom") };
}

/**
 * Throws PHOTOSHOP_COMMAND_FAILED when any batchPlay result is an error, naming the command
 * and carrying Photoshop's own message and number.
 */
export function checkBatchPlayResults(results: readonly unknown[], command: string): void {
  for (const result of results) {
    const entry = result as { _obj?: unknown; message?: unknown; result?: unknown } | null;
    if (entry?._obj === "error") {
      const message = typeof entry.message === "string" ? entry.message : "unknown error";
      throw new PanelError("PHOTOSHOP_COMMAND_FAILED", `Photoshop refused "${command}": ${message}`, {
        command,
        photoshopMessage: message,
        number: typeof entry.result === "number" ? entry.result : null,
      });
    }
  }
}
