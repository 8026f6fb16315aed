/**
 * The real adapter against a scripted stand-in for Photoshop's modules: which calls it makes,
 * in which order, with which descriptors, and that it cleans up (image data, temp files)
 * when Photoshop refuses. What Photoshop itself does is checked by hand (README).
 */
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { PanelError } from "../panel-errors";
import type { ModalScope, PhotoshopAdapter } from "./adapter";
import { createUxpPhotoshopAdapter } from "./uxp-photoshop-adapter";

interface Fake {
  calls: string[];
  batch: Record<string, unknown>[];
  written: Uint8Array[];
  deleted: number;
  disposed: number;
  history: string[];
  /** Bounds Photoshop reports for the placed layer (as if "Resize Image During Place" shrank it). */
  placedBounds: { left: number; top: number; right: number; bottom: number };
  failOn?: string;
  /** Makes another document active, as a user would. */
  switchTo?: () => void;
}

function install(fake: Fake): PhotoshopAdapter {
  const px = (value: number) => ({ _unit: "pixelsUnit", _value: value });
  const document = {
    id: 7,
    title: "Portrait",
    width: 100,
    height: 80,
    resolution: 300,
    bitsPerChannel: "bitDepth16",
    mode: "RGBColorMode",
    colorProfileName: "Adobe RGB (1998)",
    activeLayers: [{ id: 3, name: "Face", kind: "pixel", isBackgroundLayer: false, boundsNoEffects: { left: 10, top: 8, right: 58, bottom: 56 } }],
    selection: { bounds: null },
    async resizeImage(width: number, height: number) {
      fake.calls.push(`resizeImage ${width}×${height}`);
    },
  };
  const other = { ...document, id: 8, title: "Elsewhere" };
  const app = { active: document as typeof document, documents: Object.assign([document, other], { add: async () => document }) };
  const photoshop = {
    app: {
      get activeDocument() {
        return app.active;
      },
      set activeDocument(value: typeof document) {
        fake.calls.push(`activate ${value.id}`);
        app.active = value;
      },
      documents: app.documents,
    },
    core: {
      async executeAsModal<T>(fn: (context: unknown) => Promise<T>, options: { commandName: string }) {
        fake.calls.push(`modal ${options.commandName}`);
        return fn({
          isCancelled: false,
          hostControl: {
            async suspendHistory(options: { documentID: number; name: string }) {
              fake.history.push(`suspend ${options.documentID} ${options.name}`);
              return 99;
            },
            async resumeHistory(id: number, commit: boolean) {
              fake.history.push(`resume ${id} ${commit}`);
            },
          },
        });
      },
    },
    action: {
      async batchPlay(descriptors: Record<string, unknown>[]) {
        const [descriptor] = descriptors;
        fake.batch.push(descriptor);
        if (descriptor._obj === fake.failOn) return [{ _obj: "error", message: "The command is not available.", result: -25920 }];
        if (descriptor._obj === "get") {
          const property = (descriptor._target as { _property?: string }[])[0]._property;
          if (property === "layerID") return [{ layerID: 12 }];
          const b = fake.placedBounds;
          return [{ boundsNoEffects: { left: px(b.left), top: px(b.top), right: px(b.right), bottom: px(b.bottom) } }];
        }
        return [{}];
      },
      async addNotificationListener() {},
      async removeNotificationListener() {},
    },
    imaging: {
      async getPixels(options: Record<string, unknown>) {
        fake.calls.push(`getPixels ${JSON.stringify(options)}`);
        return {
          sourceBounds: { left: 12, top: 9, right: 14, bottom: 10 },
          imageData: {
            width: 2,
            height: 1,
            components: 4,
            componentSize: 16,
            async getData() {
              if (fake.failOn === "getData") throw new Error("out of memory");
              return Uint16Array.from([0, 1, 2, 32768, 32768, 16384, 3, 32768]);
            },
            dispose() {
              fake.disposed++;
            },
          },
        };
      },
    },
    constants: { NewDocumentMode: { RGB: "RGBColorMode", GRAYSCALE: "grayscaleMode" }, DocumentFill: { TRANSPARENT: "transparent" } },
  };
  const file = {
    async write(data: ArrayBuffer | string) {
      fake.written.push(typeof data === "string" ? new TextEncoder().encode(data) : new Uint8Array(data));
      return 0;
    },
    async read() {
      return "stored";
    },
    async delete() {
      fake.deleted++;
    },
  };
  const folder = { createFile: async () => file, getEntry: async () => file };
  const uxp = {
    shell: {
      // UXP resolves "" when the system opened the link, an error message otherwise.
      async openExternal(url: string, reason: string) {
        fake.calls.push(`openExternal ${url} (${reason})`);
        return url.startsWith("portrait-upscale:") ? "" : "No application is registered for this link.";
      },
    },
    storage: {
      localFileSystem: { getTemporaryFolder: async () => folder, getDataFolder: async () => folder, createSessionToken: () => "session-token" },
      formats: { binary: "binary", utf8: "utf8" },
    },
  };
  fake.switchTo = () => {
    app.active = other;
  };
  return createUxpPhotoshopAdapter({ photoshop, uxp } as unknown as Parameters<typeof createUxpPhotoshopAdapter>[0]);
}

function newFake(): Fake {
  return { calls: [], batch: [], written: [], deleted: 0, disposed: 0, history: [], placedBounds: { left: 0, top: 0, right: 100, bottom: 80 } };
}

const place = (adapter: PhotoshopAdapter) =>
  adapter.executeModal("Place upscaled portrait", (scope: ModalScope) =>
    adapter.placeSmartObject(scope, {
      documentId: 7,
      aboveLayerId: 3,
      name: "Face ×4 (Natural)",
      pixels: { width: 192, height: 192, channels: 4, bitDepth: 16, data: new Uint16Array(192 * 192 * 4).fill(32768) },
      target: { left: 10, top: 8, right: 58, bottom: 56 },
    }),
  );

describe("UXP Photoshop adapter", () => {
  it("describes the active document from the DOM", async () => {
    const adapter = install(newFake());
    expect(await adapter.activeDocument()).toEqual({
      id: 7,
      title: "Portrait",
      width: 100,
      height: 80,
      resolution: 300,
      bitDepth: 16,
      mode: "rgb",
      colorProfile: "Adobe RGB (1998)",
      activeLayer: { id: 3, name: "Face", kind: "pixel", bounds: { left: 10, top: 8, right: 58, bottom: 56 } },
    });
  });

  it("reads pixels at the document's depth, keeps Photoshop's trimmed bounds, and disposes the image data", async () => {
    const fake = newFake();
    const adapter = install(fake);
    const within = { left: 10, top: 8, right: 58, bottom: 56 };
    const pixels = await adapter.executeModal("Read layer pixels", (scope) => adapter.readPixels(scope, { documentId: 7, layerId: 3, within }));
    expect(fake.calls[1]).toBe(`getPixels ${JSON.stringify({ documentID: 7, layerID: 3, sourceBounds: within, componentSize: 16, applyAlpha: false })}`);
    expect(pixels).toMatchObject({ width: 2, height: 1, channels: 4, bitDepth: 16, bounds: { left: 12, top: 9, right: 14, bottom: 10 }, colorProfile: "Adobe RGB (1998)" });
    expect(fake.disposed).toBe(1);
    fake.failOn = "getData";
    await expect(adapter.executeModal("Read", (scope) => adapter.readPixels(scope, { documentId: 7, layerId: 3 }))).rejects.toThrow("out of memory");
    expect(fake.disposed).toBe(2);
  });

  it("refuses document changes outside a modal scope", async () => {
    const adapter = install(newFake());
    await expect(adapter.readPixels({ commandName: "x", isCancelled: () => false }, { documentId: 7, layerId: 3 })).rejects.toMatchObject({ code: "INTERNAL" });
  });

  it("places a full-range PNG at the document's resolution above the source, corrects what Photoshop shrank, names it, deletes the file", async () => {
    const fake = newFake();
    const adapter = install(fake);
    const layer = await place(adapter);
    expect(layer).toEqual({ id: 12, name: "Face ×4 (Natural)", kind: "smartObject", bounds: { left: 10, top: 8, right: 58, bottom: 56 } });
    expect(fake.batch.map((descriptor) => descriptor._obj)).toEqual(["select", "placeEvent", "get", "get", "transform", "set"]);
    expect(fake.batch[0]).toMatchObject({ _target: [{ _ref: "layer", _id: 3 }] });
    expect(fake.batch[1]).toMatchObject({
      null: { _path: "session-token", _kind: "local" },
      offset: { horizontal: { _value: -16 }, vertical: { _value: -8 } },
      width: { _value: 25 },
      height: { _value: 25 },
    });
    // Photoshop reported 100×80 at the origin: scale to 48×48 and move to (10, 8).
    expect(fake.batch[4]).toMatchObject({ offset: { horizontal: { _value: -16 }, vertical: { _value: -8 } }, width: { _value: 48 }, height: { _value: 60 } });
    expect(fake.batch[5]).toMatchObject({ _target: [{ _ref: "layer", _id: 12 }], to: { _obj: "layer", name: "Face ×4 (Natural)" } });
    const png = fake.written[0];
    const metadata = await sharp(png).metadata();
    expect([metadata.width, metadata.height, metadata.channels, metadata.depth, Math.round(metadata.density ?? 0)]).toEqual([192, 192, 4, "ushort", 300]);
    const { data } = await sharp(png).toColourspace("rgb16").raw({ depth: "ushort" }).toBuffer({ resolveWithObject: true });
    expect(new Uint16Array(data.buffer, data.byteOffset, 4)).toEqual(Uint16Array.from([65535, 65535, 65535, 65535]));
    expect(fake.deleted).toBe(1);
  });

  it("brings the source's document to the front first if the user switched documents meanwhile", async () => {
    const fake = newFake();
    const adapter = install(fake);
    fake.switchTo?.();
    await place(adapter);
    expect(fake.calls).toContain("activate 7");
  });

  it("skips the correction when the placed layer is already exact", async () => {
    const fake = newFake();
    fake.placedBounds = { left: 10, top: 8, right: 58, bottom: 56 };
    await place(install(fake));
    expect(fake.batch.map((descriptor) => descriptor._obj)).toEqual(["select", "placeEvent", "get", "get", "set"]);
  });

  it("reports a refused batchPlay command by code and still deletes the temporary file", async () => {
    const fake = newFake();
    fake.failOn = "placeEvent";
    const error = await place(install(fake)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PanelError);
    expect(error).toMatchObject({ code: "PHOTOSHOP_COMMAND_FAILED", data: { command: "place the result", number: -25920 } });
    expect(fake.deleted).toBe(1);
  });

  it("suspends and resumes history through the modal scope's host control; resizes through the DOM", async () => {
    const fake = newFake();
    const adapter = install(fake);
    await adapter.executeModal("write", async (scope) => {
      const id = await adapter.suspendHistory(scope, 7, "Upscale Portrait");
      await adapter.resizeDocument(scope, 7, 400, 320);
      await adapter.resumeHistory(scope, id, true);
    });
    expect(fake.history).toEqual(["suspend 7 Upscale Portrait", "resume 99 true"]);
    expect(fake.calls).toContain("resizeImage 400×320");
  });

  it("keeps small files in the plug-in's data folder", async () => {
    const fake = newFake();
    const adapter = install(fake);
    await adapter.writeData("token", "abc");
    expect(new TextDecoder().decode(fake.written[0])).toBe("abc");
    expect(await adapter.readData("token")).toBe("stored");
  });

  it("opens links through UXP's shell and tells whether anything handled them", async () => {
    const fake = newFake();
    const adapter = install(fake);
    expect(await adapter.openExternal("portrait-upscale://start", "Start it.")).toBe(true);
    expect(await adapter.openExternal("unhandled://x", "Nothing.")).toBe(false);
    expect(fake.calls).toContain("openExternal portrait-upscale://start (Start it.)");
  });
});
