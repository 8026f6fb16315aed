/**
 * An in-memory Photoshop for tests and the browser harness: documents, layers with pixels,
 * a selection, smart objects, modal scopes that refuse overlapping use (error 9, as
 * Photoshop does), and a history where a suspension collapses into one step.
 */
import {
  boundsHeight,
  boundsWidth,
  intersectBounds,
  type BitDepth,
  type Bounds,
  type DocumentInfo,
  type DocumentMode,
  type LayerInfo,
  type LayerKind,
  type ModalScope,
  type NewDocumentRequest,
  type PhotoshopAdapter,
  type PhotoshopPixels,
  type PlaceSmartObjectRequest,
  type ReadPixelsRequest,
} from "./adapter";

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

interface Suspension {
  readonly documentId: number;
  readonly name: string;
  readonly historyLength: number;
  readonly snapshot: Snapshot;
}

/** The error Photoshop gives executeAsModal while the modal state is taken. */
function modalBusy(): Error {
  return Object.assign(new Error("Cannot enter the modal state: it is held by another plug-in."), { number: 9 });
}

export class MemoryPhotoshopAdapter implements PhotoshopAdapter {
  readonly documents: MemoryDocument[] = [];
  activeDocumentId: number | undefined;
  readonly data = new Map<string, string>();
  /** Links opened through {@link openExternal}, in order. */
  readonly opened: string[] = [];
  /** What handles an opened link, by URL scheme (e.g. "portrait-upscale:" for an installed helper). */
  readonly linkHandlers = new Map<string, (url: string) => Promise<void> | void>();
  /** Names of modal scopes entered, in order (tests check that scopes stay short and separate). */
  readonly modalLog: string[] = [];
  #nextId = 1;
  #modal: ModalScope | undefined;
  #busyAttempts = 0;
  readonly #suspensions = new Map<number, Suspension>();
  readonly #listeners = new Set<() => void>();

  /** Adds a document and makes it active. */
  addDocument(spec: NewMemoryDocument): MemoryDocument {
    const document: MemoryDocument = {
      id: this.#nextId++,
      title: spec.title,
      width: spec.width,
      height: spec.height,
      resolution: spec.resolution ?? 300,
      bitDepth: spec.bitDepth ?? 8,
      mode: spec.mode ?? "rgb",
      ...(spec.colorProfile !== undefined ? { colorProfile: spec.colorProfile } : {}),
      layers: [],
      history: ["Open"],
    };
    this.documents.push(document);
    this.activeDocumentId = document.id;
    this.#changed();
    return document;
  }

  /** Adds a layer on top and makes it active. */
  addLayer(documentId: number, spec: NewMemoryLayer): MemoryLayer {
    const document = this.document(documentId);
    const left = spec.left ?? 0;
    const top = spec.top ?? 0;
    const layer: MemoryLayer = {
      id: this.#nextId++,
      name: spec.name,
      kind: spec.kind ?? "pixel",
      bounds: { left, top, right: left + spec.raster.width, bottom: top + spec.raster.height },
      raster: spec.raster,
    };
    document.layers.push(layer);
    document.activeLayerId = layer.id;
    this.#changed();
    return layer;
  }

  /** Sets or clears the selection's bounding box. */
  setSelection(documentId: number, selection: Bounds | undefined): void {
    const document = this.document(documentId);
    if (selection === undefined) delete document.selection;
    else document.selection = selection;
    this.#changed();
  }

  /** Makes the next `attempts` calls to executeModal fail as if another plug-in held the modal state. */
  holdModalStateFor(attempts: number): void {
    this.#busyAttempts = attempts;
  }

  /** True while a modal scope is open. */
  get inModalScope(): boolean {
    return this.#modal !== undefined;
  }

  document(id: number): MemoryDocument {
    const document = this.documents.find((candidate) => candidate.id === id);
    if (!document) throw Object.assign(new Error(`No document with id ${id}`), { number: -1 });
    return document;
  }

  layer(documentId: number, layerId: number): MemoryLayer {
    const layer = this.document(documentId).layers.find((candidate) => candidate.id === layerId);
    if (!layer) throw Object.assign(new Error(`No layer with id ${layerId}`), { number: -1 });
    return layer;
  }

  /** Called after every change (the harness redraws its document view). */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  watchDocument(listener: () => void): () => void {
    return this.subscribe(listener);
  }

  async activeDocument(): Promise<DocumentInfo | undefined> {
    if (this.activeDocumentId === undefined) return undefined;
    const document = this.document(this.activeDocumentId);
    const active = document.layers.find((layer) => layer.id === document.activeLayerId);
    return {
      id: document.id,
      title: document.title,
      width: document.width,
      height: document.height,
      resolution: document.resolution,
      bitDepth: document.bitDepth,
      mode: document.mode,
      ...(document.colorProfile !== undefined ? { colorProfile: document.colorProfile } : {}),
      ...(active ? { activeLayer: layerInfo(active) } : {}),
      ...(document.selection ? { selection: { ...document.selection } } : {}),
    };
  }

  async executeModal<T>(commandName: string, fn: (scope: ModalScope) => Promise<T>): Promise<T> {
    if (this.#busyAttempts > 0) {
      this.#busyAttempts--;
      throw modalBusy();
    }
    if (this.#modal) throw modalBusy();
    const scope: ModalScope = { commandName, isCancelled: () => false };
    this.#modal = scope;
    this.modalLog.push(commandName);
    try {
      return await fn(scope);
    } finally {
      this.#modal = undefined;
      this.#changed();
    }
  }

  async readPixels(scope: ModalScope, request: ReadPixelsRequest): Promise<PhotoshopPixels> {
    this.#check(scope);
    const document = this.document(request.documentId);
    if (document.bitDepth === 32) throw Object.assign(new Error("32-bit reads are not simulated"), { number: -1 });
    const layer = this.layer(request.documentId, request.layerId);
    const canvas = { left: 0, top: 0, right: document.width, bottom: document.height };
    let area = intersectBounds(intersectBounds(layer.bounds, canvas), request.within ?? canvas);
    // Like getPixels, answer only the part that has content: trim fully transparent edges.
    area = trimTransparent(layer, area);
    const width = boundsWidth(area);
    const height = boundsHeight(area);
    const { channels } = layer.raster;
    const data = newSamples(document.bitDepth as 8 | 16, width * height * channels);
    for (let y = 0; y < height; y++) {
      const from = ((area.top - layer.bounds.top + y) * layer.raster.width + (area.left - layer.bounds.left)) * channels;
      data.set(layer.raster.data.subarray(from, from + width * channels), y * width * channels);
    }
    return {
      width,
      height,
      channels,
      bitDepth: document.bitDepth as 8 | 16,
      data,
      bounds: area,
      ...(document.colorProfile !== undefined ? { colorProfile: document.colorProfile } : {}),
    };
  }

  async suspendHistory(scope: ModalScope, documentId: number, name: string): Promise<number> {
    this.#check(scope);
    const document = this.document(documentId);
    const id = this.#nextId++;
    this.#suspensions.set(id, { documentId, name, historyLength: document.history.length, snapshot: snapshotOf(document) });
    return id;
  }

  async resumeHistory(scope: ModalScope, suspensionId: number, commit: boolean): Promise<void> {
    this.#check(scope);
    const suspension = this.#suspensions.get(suspensionId);
    if (!suspension) throw Object.assign(new Error(`No history suspension ${suspensionId}`), { number: -1 });
    this.#suspensions.delete(suspensionId);
    const document = this.document(suspension.documentId);
    if (commit) {
      document.history.splice(suspension.historyLength, Infinity, suspension.name);
    } else {
      restoreSnapshot(document, suspension.snapshot);
    }
    this.#changed();
  }

  async resizeDocument(scope: ModalScope, documentId: number, width: number, height: number): Promise<void> {
    this.#check(scope);
    const document = this.document(documentId);
    const sx = width / document.width;
    const sy = height / document.height;
    for (const layer of document.layers) {
      if (layer.kind === "smartObject") {
        layer.bounds = scaleBounds(layer.bounds, sx, sy);
        continue;
      }
      const bounds = scaleBounds(layer.bounds, sx, sy);
      layer.raster = resampleNearest(layer.raster, boundsWidth(bounds), boundsHeight(bounds));
      layer.bounds = bounds;
    }
    document.width = width;
    document.height = height;
    document.history.push("Image Size");
  }

  async createDocument(scope: ModalScope, request: NewDocumentRequest): Promise<number> {
    this.#check(scope);
    const document = this.addDocument({
      title: request.name,
      width: request.width,
      height: request.height,
      bitDepth: request.bitDepth,
      mode: request.mode,
      resolution: request.resolution,
      ...(request.colorProfile !== undefined ? { colorProfile: request.colorProfile } : {}),
    });
    document.history = ["New"];
    return document.id;
  }

  async placeSmartObject(scope: ModalScope, request: PlaceSmartObjectRequest): Promise<LayerInfo> {
    this.#check(scope);
    const document = this.document(request.documentId);
    const { pixels } = request;
    if (pixels.bitDepth !== document.bitDepth) {
      throw Object.assign(new Error(`A ${pixels.bitDepth}-bit file placed in a ${document.bitDepth}-bit document`), { number: -1 });
    }
    const layer: MemoryLayer = {
      id: this.#nextId++,
      name: request.name,
      kind: "smartObject",
      bounds: { ...request.target },
      raster: { width: pixels.width, height: pixels.height, channels: pixels.channels, data: pixels.data.slice() },
    };
    const below = request.aboveLayerId === undefined ? -1 : document.layers.findIndex((candidate) => candidate.id === request.aboveLayerId);
    if (below < 0) document.layers.push(layer);
    else document.layers.splice(below + 1, 0, layer);
    document.activeLayerId = layer.id;
    document.history.push("Place Embedded", "Rename Layer");
    return layerInfo(layer);
  }

  async readData(name: string): Promise<string | undefined> {
    return this.data.get(name);
  }

  async writeData(name: string, text: string): Promise<void> {
    this.data.set(name, text);
  }

  async openExternal(url: string): Promise<boolean> {
    this.opened.push(url);
    const handler = this.linkHandlers.get(new URL(url).protocol);
    if (!handler) return false;
    await handler(url);
    return true;
  }

  #check(scope: ModalScope): void {
    if (this.#modal !== scope) throw Object.assign(new Error("This command needs a modal scope (executeAsModal)."), { number: -1 });
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }
}

function layerInfo(layer: MemoryLayer): LayerInfo {
  return { id: layer.id, name: layer.name, kind: layer.kind, bounds: { ...layer.bounds } };
}

function newSamples(bitDepth: 8 | 16, length: number): Uint8Array | Uint16Array {
  return bitDepth === 16 ? new Uint16Array(length) : new Uint8Array(length);
}

function hasAlpha(channels: number): boolean {
  return channels === 2 || channels === 4;
}

/** The smallest part of `area` whose pixels are not fully transparent (empty when all are). */
function trimTransparent(layer: MemoryLayer, area: Bounds): Bounds {
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

function scaleBounds(bounds: Bounds, sx: number, sy: number): Bounds {
  return { left: bounds.left * sx, top: bounds.top * sy, right: bounds.right * sx, bottom: bounds.bottom * sy };
}

function resampleNearest(raster: MemoryRaster, width: number, height: number): MemoryRaster {
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

interface Snapshot {
  width: number;
  height: number;
  activeLayerId?: number;
  history: string[];
  layers: MemoryLayer[];
}

/** Keeps the document's state (layers by reference: rasters are replaced, never mutated). */
function snapshotOf(document: MemoryDocument): Snapshot {
  return {
    width: document.width,
    height: document.height,
    ...(document.activeLayerId !== undefined ? { activeLayerId: document.activeLayerId } : {}),
    history: [...document.history],
    layers: document.layers.map((layer) => ({ ...layer, bounds: { ...layer.bounds } })),
  };
}

function restoreSnapshot(document: MemoryDocument, snapshot: Snapshot): void {
  document.width = snapshot.width;
  document.height = snapshot.height;
  document.history = snapshot.history;
  document.layers = snapshot.layers;
  if (snapshot.activeLayerId !== undefined) document.activeLayerId = snapshot.activeLayerId;
}
