/**
 * The only way the panel touches Photoshop. Two implementations: the real one over UXP
 * (uxp-photoshop-adapter.ts, kept thin) and an in-memory one for tests and the browser
 * harness (memory-photoshop-adapter.ts). Everything else is ordinary, testable code.
 *
 * Pixels cross this interface in Photoshop's own representation: interleaved, 8-bit as
 * 0..255, 16-bit as 0..32768 (see bit-depth.ts for the daemon's full range).
 */

/** A rectangle in document pixels; `right` and `bottom` are exclusive. */
export interface Bounds {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

export type DocumentMode = "rgb" | "grayscale" | "other";
export type LayerKind = "pixel" | "background" | "smartObject" | "text" | "other";
export type BitDepth = 8 | 16 | 32;

export interface LayerInfo {
  readonly id: number;
  readonly name: string;
  readonly kind: LayerKind;
  /** The layer's content bounds (empty layers have zero width). */
  readonly bounds: Bounds;
}

export interface DocumentInfo {
  readonly id: number;
  readonly title: string;
  readonly width: number;
  readonly height: number;
  readonly resolution: number;
  readonly bitDepth: BitDepth;
  readonly mode: DocumentMode;
  /** The document's colour profile name, carried to the daemon and back untouched. */
  readonly colorProfile?: string;
  /** The active layer, if exactly one is active. */
  readonly activeLayer?: LayerInfo;
  /** The selection's bounding box, if there is a selection. */
  readonly selection?: Bounds;
}

/** Interleaved pixels in Photoshop's representation, with where they sit in the document. */
export interface PhotoshopPixels {
  readonly width: number;
  readonly height: number;
  /** 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA. */
  readonly channels: 1 | 2 | 3 | 4;
  readonly bitDepth: 8 | 16;
  /** 16-bit samples are 0..32768. */
  readonly data: Uint8Array | Uint16Array;
  /** Document position of the pixels (trimmed to the content by Photoshop). */
  readonly bounds: Bounds;
  readonly colorProfile?: string;
}

export interface ReadPixelsRequest {
  readonly documentId: number;
  readonly layerId: number;
  /** Read only this part of the layer (a selection's bounds); the answer may be smaller. */
  readonly within?: Bounds;
}

export interface NewDocumentRequest {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly resolution: number;
  readonly mode: "rgb" | "grayscale";
  readonly bitDepth: 8 | 16;
  readonly colorProfile?: string;
}

/** A finished result to place as a new smart object layer. */
export interface PlaceSmartObjectRequest {
  readonly documentId: number;
  /** The new layer goes directly above this one (absent in a new document). */
  readonly aboveLayerId?: number;
  readonly name: string;
  /** The smart object's content, at full resolution. */
  readonly pixels: Omit<PhotoshopPixels, "bounds">;
  /** Where the placed layer must end up, in document pixels (smaller than the content when kept inside an unresized document). */
  readonly target: Bounds;
}

/** Proof that code runs inside a modal scope; adapters refuse document changes without one. */
export interface ModalScope {
  readonly commandName: string;
  /** True once Photoshop (or the user) asked the scope to stop. */
  readonly isCancelled: () => boolean;
}

export interface PhotoshopAdapter {
  /** The active document, or undefined when none is open. Needs no modal scope. */
  activeDocument(): Promise<DocumentInfo | undefined>;
  /**
   * Runs `fn` in a modal scope (Photoshop is frozen for the user meanwhile: keep it short).
   * Rejects with an error whose `number` is 9 when another plug-in holds the modal state.
   */
  executeModal<T>(commandName: string, fn: (scope: ModalScope) => Promise<T>): Promise<T>;
  /** Reads a layer's pixels at the document's bit depth. An empty area gives zero width. */
  readPixels(scope: ModalScope, request: ReadPixelsRequest): Promise<PhotoshopPixels>;
  /** Opens history suspension: everything until {@link resumeHistory} is one undo step named `name`. */
  suspendHistory(scope: ModalScope, documentId: number, name: string): Promise<number>;
  /** Ends a suspension; `commit` false rolls its changes back. */
  resumeHistory(scope: ModalScope, suspensionId: number, commit: boolean): Promise<void>;
  /** Resizes the whole document (every layer is resampled). */
  resizeDocument(scope: ModalScope, documentId: number, width: number, height: number): Promise<void>;
  /** Creates a document and makes it active; resolves to its id. */
  createDocument(scope: ModalScope, request: NewDocumentRequest): Promise<number>;
  /** Places pixels as a new smart object layer at exactly `target`; resolves to the new layer. */
  placeSmartObject(scope: ModalScope, request: PlaceSmartObjectRequest): Promise<LayerInfo>;
  /** Calls `listener` when the active document, layer or selection may have changed. */
  watchDocument(listener: () => void): () => void;
  /** Reads a small text file from the plug-in's data folder (undefined when absent). */
  readData(name: string): Promise<string | undefined>;
  writeData(name: string, text: string): Promise<void>;
  /**
   * Opens `url` through the system (UXP's launchProcess permission): the helper's start link or
   * a web page. Resolves false when nothing handles it or the user declined.
   */
  openExternal(url: string, reason: string): Promise<boolean>;
}

/** Width of a rectangle. */
export function boundsWidth(bounds: Bounds): number {
  return bounds.right - bounds.left;
}

/** Height of a rectangle. */
export function boundsHeight(bounds: Bounds): number {
  return bounds.bottom - bounds.top;
}

/** The overlap of two rectangles (zero-sized when they do not meet). */
export function intersectBounds(a: Bounds, b: Bounds): Bounds {
  const left = Math.max(a.left, b.left);
  const top = Math.max(a.top, b.top);
  return { left, top, right: Math.max(left, Math.min(a.right, b.right)), bottom: Math.max(top, Math.min(a.bottom, b.bottom)) };
}
