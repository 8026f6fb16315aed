/**
 * An in-memory Photoshop for tests and the browser harness: documents, layers with pixels,
 * a selection, smart objects, modal scopes that refuse overlapping use (error 9, as
 * Photoshop does), and a history where a suspension collapses into one step.
 */
import {
  boundsHeight,
  boundsWidth,
  intersectBounds,
  type Bounds,
  type DocumentInfo,
  type LayerInfo,
  type ModalScope,
  type NewDocumentRequest,
  type PhotoshopAdapter,
  type PhotoshopPixels,
  type PlaceSmartObjectRequest,
  type ReadPixelsRequest,
} from "./adapter";
import {
  layerInfo,
  newSamples,
  resampleNearest,
  restoreSnapshot,
  scaleBounds,
  snapshotOf,
  trimTransparent,
  type MemoryDocument,
  type MemoryLayer,
  type NewMemoryDocument,
  type NewMemoryLayer,
  type Snapshot,
} from "./memory-document";

export type { MemoryDocument, MemoryLayer, MemoryRaster, NewMemoryDocument, NewMemoryLayer } from "./memory-document";

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
