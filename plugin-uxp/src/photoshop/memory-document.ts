/** The in-memory Photoshop's documents, layers and rasters, and the pixel helpers its commands use. */
import { boundsHeight, boundsWidth, type BitDepth, type Bounds, type DocumentMode, type LayerInfo, type LayerKind } from "./adapter";

/** Pixels of a layer: a raster at `bounds` (for a smart object, its full-resolution content). */
export interface MemoryRaster {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
  readonly data: Uint8Array | Uint16Array;
}

export interface MemoryLayer {
  readonly id: number;
  name: string;
  readonly kind: LayerKind;
  /** Where the layer's raster (or the placed smart object) sits in the document. */
  bounds: Bounds;
  raster: MemoryRaster;
}

export interface MemoryDocument {
  readonly id: number;
  title: string;
  width: number;
  height: number;
  readonly resolution: number;
  readonly bitDepth: BitDepth;
  readonly mode: DocumentMode;
  readonly colorProfile?: string;
  /** Bottom to top. */
  layers: MemoryLayer[];
  activeLayerId?: number;
  selection?: Bounds;
  /** History step names, oldest first. */
  history: string[];
}

export interface NewMemoryDocument {
  readonly title: string;
  readonly width: number;
  readonly height: number;
  readonly bitDepth?: BitDepth;
  readonly mode?: DocumentMode;
  readonly resolution?: number;
  readonly colorProfile?: string;
}

export interface NewMemoryLayer {
  readonly name: string;
  readonly kind?: LayerKind;
  readonly left?: number;
  readonly top?: number;
  readonly raster: MemoryRaster;
}

/** What the adapter reports of a layer. */
export function layerInfo(layer: MemoryLayer): LayerInfo {
  return { id: layer.id, name: layer.name, kind: layer.kind, bounds: { ...layer.bounds } };
}

/** Zeroed samples of the bit depth. */
export function newSamples(bitDepth: 8 | 16, length: number): Uint8Array | Uint16Array {
  return bitDepth === 16 ? new Uint16Array(length) : new Uint8Array(length);
}

/** Whether a raster with `channels` carries alpha (grey+alpha or RGBA). */
function hasAlpha(channels: number): boolean {
  return channels === 2 || channels === 4;
}

/** The smallest part of `area` whose pixels are not fully transparent (empty when all are). */
export function trimTransparent(layer: MemoryLayer, area: Bounds): Bounds {
  const { raster } = layer;
  if (!hasAlpha(raster.channels) || boundsWidth(area) === 0 || boundsHeight(area) === 0) return area;
  let left = area.right;
  let right = area.left;
  let top = area.bottom;
  let bottom = area.top;
  for (let y = area.top; y < area.bottom; y++) {
    for (let x = area.left; x < area.right; x++) {
      const i = ((y - layer.bounds.top) * raster.width + (x - layer.bounds.left)) * raster.channels + raster.channels - 1;
      if (raster.data[i] === 0) continue;
      left = Math.min(left, x);
      right = Math.max(right, x + 1);
      top = Math.min(top, y);
      bottom = Math.max(bottom, y + 1);
    }
  }
  return right <= left ? { left: area.left, top: area.top, right: area.left, bottom: area.top } : { left, top, right, bottom };
}

/** `bounds` scaled by `sx` horizontally and `sy` vertically. */
export function scaleBounds(bounds: Bounds, sx: number, sy: number): Bounds {
  return { left: bounds.left * sx, top: bounds.top * sy, right: bounds.right * sx, bottom: bounds.bottom * sy };
}

/** `raster` resized to `width`×`height` by nearest neighbour, as a resize in a test needs no better. */
export function resampleNearest(raster: MemoryRaster, width: number, height: number): MemoryRaster {
  const { channels } = raster;
  const data = raster.data instanceof Uint16Array ? new Uint16Array(width * height * channels) : new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(raster.height - 1, Math.floor((y * raster.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(raster.width - 1, Math.floor((x * raster.width) / width));
      const from = (sy * raster.width + sx) * channels;
      data.set(raster.data.subarray(from, from + channels), (y * width + x) * channels);
    }
  }
  return { width, height, channels, data };
}

/** A document's state kept for a history suspension to roll back to. */
export interface Snapshot {
  width: number;
  height: number;
  activeLayerId?: number;
  history: string[];
  layers: MemoryLayer[];
}

/** Keeps the document's state (layers by reference: rasters are replaced, never mutated). */
export function snapshotOf(document: MemoryDocument): Snapshot {
  return {
    width: document.width,
    height: document.height,
    ...(document.activeLayerId !== undefined ? { activeLayerId: document.activeLayerId } : {}),
    history: [...document.history],
    layers: document.layers.map((layer) => ({ ...layer, bounds: { ...layer.bounds } })),
  };
}

/** Puts `snapshot` back into the document. */
export function restoreSnapshot(document: MemoryDocument, snapshot: Snapshot): void {
  document.width = snapshot.width;
  document.height = snapshot.height;
  document.history = snapshot.history;
  document.layers = snapshot.layers;
  if (snapshot.activeLayerId !== undefined) document.activeLayerId = snapshot.activeLayerId;
}
