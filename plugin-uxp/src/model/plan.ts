/**
 * Pure decisions about one upscale: whether the document can be used, what size comes out,
 * what the new layer is called, and where it must land.
 */
import { PanelError } from "../panel-errors";
import { boundsHeight, boundsWidth, intersectBounds, type Bounds, type DocumentInfo, type LayerInfo } from "../photoshop/adapter";
import type { PlacementMode } from "./settings";

/** A document and layer the panel can upscale. */
export interface UpscaleSource {
  readonly document: DocumentInfo;
  readonly layer: LayerInfo;
  /** The part of the layer to read: its bounds, within the selection if there is one. */
  readonly area: Bounds;
}

/** Checks the active document and layer; throws the code that explains why not. */
export function upscaleSource(document: DocumentInfo | undefined): UpscaleSource {
  if (!document) throw new PanelError("NO_DOCUMENT");
  if (document.bitDepth === 32) throw new PanelError("DOCUMENT_32_BIT", undefined, { bitDepth: 32 });
  if (document.mode === "other") throw new PanelError("DOCUMENT_MODE_UNSUPPORTED");
  const layer = document.activeLayer;
  if (!layer || layer.kind === "other") throw new PanelError("NO_PIXEL_LAYER");
  const canvas = { left: 0, top: 0, right: document.width, bottom: document.height };
  let area = intersectBounds(layer.bounds, canvas);
  if (document.selection) area = intersectBounds(area, document.selection);
  if (boundsWidth(area) === 0 || boundsHeight(area) === 0) {
    throw new PanelError("INPUT_EMPTY", document.selection ? "The selection does not touch the layer's pixels." : "The layer is empty.");
  }
  return { document, layer, area };
}

function megapixels(pixels: number): string {
  const mp = pixels / 1_000_000;
  if (mp >= 10) return `${Math.round(mp)} MP`;
  return `${mp >= 1 ? mp.toFixed(1).replace(/\.0$/, "") : mp.toFixed(2)} MP`;
}

/** "1024 × 1536 → 4096 × 6144 px, 25 MP". */
export function sizeReadout(width: number, height: number, scale: number): string {
  return `${width} × ${height} → ${width * scale} × ${height * scale} px, ${megapixels(width * height * scale * scale)}`;
}

/** The new layer's name: "<source> ×<scale> (<preset>)". */
export function resultLayerName(sourceName: string, scale: number, presetName: string): string {
  return `${sourceName} ×${scale} (${presetName})`;
}

/** Where the result goes: the document it lands in (size) and its exact bounds there. */
export interface ResultPlacement {
  /** The document's new size when it is enlarged or created; undefined when kept. */
  readonly documentSize?: { readonly width: number; readonly height: number };
  readonly target: Bounds;
}

/**
 * Where a result made from `source` (document pixels) at `scale` lands:
 * - enlarge: the document grows by `scale`, the result sits on the source scaled;
 * - keep: the document stays, the result covers the source exactly (a high-resolution smart object at 100/scale %);
 * - new-document: a document the result's size, the result filling it.
 */
export function resultPlacement(mode: PlacementMode, document: DocumentInfo, source: Bounds, scale: number): ResultPlacement {
  switch (mode) {
    case "enlarge":
      return {
        documentSize: { width: document.width * scale, height: document.height * scale },
        target: { left: source.left * scale, top: source.top * scale, right: source.right * scale, bottom: source.bottom * scale },
      };
    case "keep":
      return { target: { ...source } };
    case "new-document": {
      const width = boundsWidth(source) * scale;
      const height = boundsHeight(source) * scale;
      return { documentSize: { width, height }, target: { left: 0, top: 0, right: width, bottom: height } };
    }
  }
}
