/**
 * The real Photoshop, over UXP. Deliberately thin: every decision (geometry, descriptors,
 * bit depths, PNG bytes) is made by pure code elsewhere; this file only calls Photoshop.
 * It cannot run outside Photoshop; plugin-uxp/README.md lists the manual checks.
 */
import { PanelError } from "../panel-errors";
import type {
  BitDepth,
  Bounds,
  DocumentInfo,
  DocumentMode,
  LayerInfo,
  LayerKind,
  ModalScope,
  NewDocumentRequest,
  PhotoshopAdapter,
  PhotoshopPixels,
  PlaceSmartObjectRequest,
  ReadPixelsRequest,
} from "./adapter";
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
  type Descriptor,
} from "./descriptors";
import { encodePng } from "./png";
import type { PhotoshopModule, UxpDocument, UxpExecutionContext, UxpLayer, UxpModule } from "./uxp-types";

declare const require: (name: string) => unknown;

/** Photoshop events after which the panel re-reads the active document. */
const DOCUMENT_EVENTS = ["select", "open", "close", "make", "delete", "set", "placeEvent", "imageSize", "canvasSize", "historyStateChanged"];

const BIT_DEPTHS: Record<string, BitDepth> = { bitDepth8: 8, bitDepth16: 16, bitDepth32: 32 };
const MODES: Record<string, DocumentMode> = { RGBColorMode: "rgb", grayscaleMode: "grayscale" };

/** Photoshop's and UXP's own modules, which exist only inside Photoshop. */
export function loadUxpModules(): { photoshop: PhotoshopModule; uxp: UxpModule } {
  return { photoshop: require("photoshop") as PhotoshopModule, uxp: require("uxp") as UxpModule };
}

/** Creates the adapter over Photoshop's modules (tests pass stand-ins). */
export function createUxpPhotoshopAdapter(modules = loadUxpModules()): PhotoshopAdapter {
  const ps = modules.photoshop;
  const uxp = modules.uxp;
  const contexts = new WeakMap<ModalScope, UxpExecutionContext>();
  const fs = uxp.storage.localFileSystem;

  const documentById = (id: number): UxpDocument => {
    const document = ps.app.documents.find((candidate) => candidate.id === id);
    if (!document) throw new PanelError("NO_DOCUMENT", undefined, { documentId: id });
    return document;
  };
  const contextOf = (scope: ModalScope): UxpExecutionContext => {
    const context = contexts.get(scope);
    if (!context) throw new PanelError("INTERNAL", "A document change was attempted outside a modal scope.");
    return context;
  };
  const play = async (descriptor: Descriptor, command: string): Promise<Record<string, unknown>> => {
    const results = await ps.action.batchPlay([descriptor], {});
    checkBatchPlayResults(results, command);
    return results[0] ?? {};
  };

  return {
    async activeDocument(): Promise<DocumentInfo | undefined> {
      const document = ps.app.activeDocument;
      if (!document) return undefined;
      const layers = document.activeLayers;
      let selection: Bounds | undefined;
      try {
        selection = document.selection?.bounds ?? undefined;
      } catch {
        // Before Photoshop 25 there is no Selection object: the whole layer is used.
      }
      return {
        id: document.id,
        title: document.title,
        width: document.width,
        height: document.height,
        resolution: document.resolution,
        bitDepth: BIT_DEPTHS[document.bitsPerChannel] ?? 32,
        mode: MODES[document.mode] ?? "other",
        ...(document.colorProfileName ? { colorProfile: document.colorProfileName } : {}),
        ...(layers.length === 1 ? { activeLayer: layerInfo(layers[0]) } : {}),
        ...(selection ? { selection: { ...selection } } : {}),
      };
    },

    executeModal<T>(commandName: string, fn: (scope: ModalScope) => Promise<T>): Promise<T> {
      return ps.core.executeAsModal(async (context) => {
        const scope: ModalScope = { commandName, isCancelled: () => context.isCancelled };
        contexts.set(scope, context);
        return fn(scope);
      }, { commandName });
    },

    async readPixels(scope: ModalScope, request: ReadPixelsRequest): Promise<PhotoshopPixels> {
      contextOf(scope);
      const document = documentById(request.documentId);
      const depth = BIT_DEPTHS[document.bitsPerChannel];
      if (depth !== 8 && depth !== 16) throw new PanelError("DOCUMENT_32_BIT");
      // Ask for the document's own depth: asking 8 of a 16-bit document fails with -1.
      const { imageData, sourceBounds } = await ps.imaging.getPixels({
        documentID: request.documentId,
        layerID: request.layerId,
        ...(request.within ? { sourceBounds: request.within } : {}),
        componentSize: depth,
        applyAlpha: false,
      });
      try {
        const data = await imageData.getData({ chunky: true });
        if (data instanceof Float32Array) throw new PanelError("DOCUMENT_32_BIT");
        return {
          width: imageData.width,
          height: imageData.height,
          channels: imageData.components as 1 | 2 | 3 | 4,
          bitDepth: depth,
          data,
          bounds: { ...sourceBounds },
          ...(document.colorProfileName ? { colorProfile: document.colorProfileName } : {}),
        };
      } finally {
        // Panels that keep image data alive hit "plug-in exceeds memory limit".
        imageData.dispose();
      }
    },

    suspendHistory(scope: ModalScope, documentId: number, name: string): Promise<number> {
      return contextOf(scope).hostControl.suspendHistory({ documentID: documentId, name });
    },

    resumeHistory(scope: ModalScope, suspensionId: number, commit: boolean): Promise<void> {
      return contextOf(scope).hostControl.resumeHistory(suspensionId, commit);
    },

    async resizeDocument(scope: ModalScope, documentId: number, width: number, height: number): Promise<void> {
      contextOf(scope);
      await documentById(documentId).resizeImage(width, height);
    },

    async createDocument(scope: ModalScope, request: NewDocumentRequest): Promise<number> {
      contextOf(scope);
      const document = await ps.app.documents.add({
        name: request.name,
        width: request.width,
        height: request.height,
        resolution: request.resolution,
        mode: request.mode === "grayscale" ? ps.constants.NewDocumentMode.GRAYSCALE : ps.constants.NewDocumentMode.RGB,
        depth: request.bitDepth,
        fill: ps.constants.DocumentFill.TRANSPARENT,
        ...(request.colorProfile ? { profile: request.colorProfile } : {}),
      });
      return document.id;
    },

    async placeSmartObject(scope: ModalScope, request: PlaceSmartObjectRequest): Promise<LayerInfo> {
      contextOf(scope);
      const document = documentById(request.documentId);
      // The user may have switched documents while the daemon worked; the descriptors below act on the active one.
      if (ps.app.activeDocument?.id !== document.id) ps.app.activeDocument = document;
      const { pixels } = request;
      const png = encodePng({
        width: pixels.width,
        height: pixels.height,
        channels: pixels.channels,
        bitDepth: pixels.bitDepth,
        samples: pixels.data,
        photoshopRange: true,
        pixelsPerInch: document.resolution,
      });
      const folder = await fs.getTemporaryFolder();
      const file = await folder.createFile(`portrait-upscale-${Date.now()}.png`, { overwrite: true });
      try {
        await file.write(png.buffer as ArrayBuffer, { format: uxp.storage.formats.binary });
        const token = fs.createSessionToken(file);
        if (request.aboveLayerId !== undefined) await play(selectLayerDescriptor(request.aboveLayerId), "select the source layer");
        await play(placeEventDescriptor(token, placementTransform(document.width, document.height, pixels.width, pixels.height, request.target)), "place the result");
        const layerId = (await play(activeLayerIdDescriptor(), "find the placed layer")).layerID as number;
        const placed = boundsFromResult(await play(layerBoundsDescriptor(layerId), "measure the placed layer"));
        const correction = alignmentTransform(placed, request.target);
        if (correction) await play(transformLayerDescriptor(correction), "align the placed layer");
        await play(renameLayerDescriptor(layerId, request.name), "name the placed layer");
        return { id: layerId, name: request.name, kind: "smartObject", bounds: { ...request.target } };
      } finally {
        await file.delete().catch(() => undefined);
      }
    },

    watchDocument(listener: () => void): () => void {
      void ps.action.addNotificationListener(DOCUMENT_EVENTS, listener);
      return () => void ps.action.removeNotificationListener(DOCUMENT_EVENTS, listener);
    },

    async readData(name: string): Promise<string | undefined> {
      try {
        const entry = await (await fs.getDataFolder()).getEntry(name);
        return await entry.read({ format: uxp.storage.formats.utf8 });
      } catch {
        return undefined;
      }
    },

    async writeData(name: string, text: string): Promise<void> {
      const file = await (await fs.getDataFolder()).createFile(name, { overwrite: true });
      await file.write(text, { format: uxp.storage.formats.utf8 });
    },

    async openExternal(url: string, reason: string): Promise<boolean> {
      try {
        return (await uxp.shell.openExternal(url, reason)) === "";
      } catch {
        return false;
      }
    },
  };
}

function layerInfo(layer: UxpLayer): LayerInfo {
  return { id: layer.id, name: layer.name, kind: layerKind(layer), bounds: { ...layer.boundsNoEffects } };
}

function layerKind(layer: UxpLayer): LayerKind {
  if (layer.isBackgroundLayer) return "background";
  switch (layer.kind) {
    case "pixel":
      return "pixel";
    case "smartObject":
      return "smartObject";
    case "text":
      return "text";
    default:
      return "other";
  }
}
