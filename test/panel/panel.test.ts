/**
 * The Photoshop panel end to end in a real browser: the built harness (the panel over the
 * in-memory Photoshop) against the real daemon, `portrait-upscale serve`, with real models.
 * This file: what a job does to the document. Every result is compared pixel for pixel with
 * the same job run over HTTP on the same daemon. Screenshots of the panel's states (dark and
 * light) go to test-artifacts/panel/.
 */
import { describe, expect, it } from "vitest";
import { photoshopSamplesToWire, wireToPhotoshopSamples } from "@portrait-upscale/plugin-uxp/src/photoshop/bit-depth";
import { addDocument, choosePreset, connectionStatus, documents, face, FAST, layerPixels, panelSession, screenshotBoth, upscale } from "./panel-session";

const session = panelSession();

describe("Photoshop panel in a browser against the real daemon", () => {
  it("upscales an 8-bit layer into one smart object step that equals the daemon's HTTP result", async () => {
    const page = await session.openPanel();
    await connectionStatus(page, "connected");
    const pixels = await face();
    const { documentId, layerIds } = await addDocument(page, { title: "Portrait", width: 80, height: 64, colorProfile: "sRGB IEC61966-2.1" }, [
      { name: "Background", kind: "background", width: 80, height: 64, channels: 3, bitDepth: 8, data: new Array(80 * 64 * 3).fill(128) },
      { name: "Face", left: 10, top: 8, width: 48, height: 48, channels: 4, bitDepth: 8, data: Array.from(pixels) },
    ]);
    await choosePreset(page, FAST);
    await expect(page.innerText("[data-testid=size-readout]")).resolves.toBe("48 × 48 → 96 × 96 px, 0.01 MP");
    await expect(page.innerText("[data-testid=connection-detail]")).resolves.toMatch(/^daemon \d+\.\d+\.\d+ · CPU$/);
    await screenshotBoth(page, "01-connected");
    await upscale(page);
    // The review's crops arrive as before/after thumbnails, one per region of the one face, all decoded.
    await page.waitForFunction(() => {
      const images: any[] = [...(globalThis as any).document.querySelectorAll("[data-testid=review-thumbnail]")];
      return images.length > 0 && images.every((image) => image.complete && image.naturalWidth > 0);
    });
    const thumbnails: { region: string; width: number; height: number; src: string }[] = await page.$$eval("[data-testid=review-thumbnail]", (images: any[]) =>
      images.map((image) => ({ region: image.dataset.region, width: image.naturalWidth, height: image.naturalHeight, src: image.src.slice(0, 22) })),
    );
    expect(thumbnails.map((thumbnail) => thumbnail.region)).toEqual(["eyes", "noseBridge", "lips", "hairline", "skin"]);
    for (const thumbnail of thumbnails) {
      expect(thumbnail.src).toBe("data:image/png;base64,");
      expect(thumbnail.width).toBeGreaterThan(2);
      expect(thumbnail.height).toBeLessThanOrEqual(96);
    }
    // Words, not ids: the regions' names and the daemon's notes (a 48 px face is small).
    const jobText = await page.innerText("[data-testid=job]");
    expect(jobText).toContain("Nose bridge");
    expect(jobText).not.toContain("noseBridge");
    await expect(page.innerText("[data-testid=note][data-code=SMALL_FACE]")).resolves.toMatch(/^The face is small in the source/);
    await screenshotBoth(page, "02-done");

    const [doc] = await documents(page);
    expect(doc.history).toEqual(["Open", "Upscale Portrait"]);
    expect(doc.layers.map((layer) => layer.name)).toEqual(["Background", "Face", "Face ×2 (Fast Preview)"]);
    const placed = doc.layers[2];
    expect(placed).toMatchObject({ kind: "smartObject", width: 96, height: 96, channels: 4, bounds: { left: 10, top: 8, right: 58, bottom: 56 } });
    expect(await layerPixels(page, documentId, layerIds[1])).toEqual(Array.from(pixels));
    const expected = await session.reference(page, { width: 48, height: 48, channels: 4, bitDepth: 8, bytes: pixels });
    expect(expected).toMatchObject({ width: 96, height: 96, channels: 4 });
    const actual = Buffer.from(await layerPixels(page, documentId, placed.id));
    expect(actual.equals(expected.bytes)).toBe(true);
    await expect(page.innerText("[data-testid=result-detail]")).resolves.toMatch(/48 × 48 → 96 × 96 px · .*realesrgan-x4fast.* on CPU · \d+\.\d s/);
  });

  it("round-trips a 16-bit document exactly, enlarging the document", async () => {
    const page = await session.openPanel({ placement: "enlarge" });
    await connectionStatus(page, "connected");
    const eight = await face();
    // Photoshop's 16-bit range is 0..32768; include full white.
    const data = Array.from(eight, (value, index) => (index % 4 === 3 ? 32768 : Math.round((value * 32768) / 255)));
    data[0] = data[1] = data[2] = 32768;
    const { documentId } = await addDocument(page, { title: "Sixteen", width: 48, height: 48, bitDepth: 16 }, [
      { name: "Face", width: 48, height: 48, channels: 4, bitDepth: 16, data },
    ]);
    await choosePreset(page, FAST);
    await upscale(page);
    const [doc] = await documents(page);
    expect([doc.width, doc.height]).toEqual([96, 96]);
    expect(doc.history).toEqual(["Open", "Upscale Portrait"]);
    const placed = doc.layers.at(-1)!;
    expect(placed.bounds).toEqual({ left: 0, top: 0, right: 96, bottom: 96 });
    const wire = Buffer.from(photoshopSamplesToWire(Uint16Array.from(data), 16));
    const expected = await session.reference(page, { width: 48, height: 48, channels: 4, bitDepth: 16, bytes: wire });
    expect(expected.bitDepth).toBe(16);
    const expectedPhotoshop = Array.from(wireToPhotoshopSamples(expected.bytes, 16));
    const actual = await layerPixels(page, documentId, placed.id);
    expect(actual.length).toBe(expectedPhotoshop.length);
    expect(actual).toEqual(expectedPhotoshop);
    expect(Math.max(...actual)).toBeLessThanOrEqual(32768);
  });

  it("upscales only the visible part of a mostly transparent layer, at its offset", async () => {
    const page = await session.openPanel();
    await connectionStatus(page, "connected");
    const pixels = Buffer.from(await face());
    for (let y = 0; y < 48; y++) for (let x = 0; x < 48; x++) if (x < 14 || x >= 34 || y < 10 || y >= 26) pixels[(y * 48 + x) * 4 + 3] = 0;
    const { documentId } = await addDocument(page, { title: "Cut-out", width: 80, height: 64 }, [
      { name: "Cut-out", left: 8, top: 12, width: 48, height: 48, channels: 4, bitDepth: 8, data: Array.from(pixels) },
    ]);
    await choosePreset(page, FAST);
    await upscale(page);
    const [doc] = await documents(page);
    const placed = doc.layers.at(-1)!;
    expect(placed).toMatchObject({ width: 40, height: 32, bounds: { left: 22, top: 22, right: 42, bottom: 38 } });
    const crop = Buffer.alloc(20 * 16 * 4);
    for (let y = 0; y < 16; y++) pixels.copy(crop, y * 80, ((10 + y) * 48 + 14) * 4, ((10 + y) * 48 + 34) * 4);
    const expected = await session.reference(page, { width: 20, height: 16, channels: 4, bitDepth: 8, bytes: crop });
    expect(Buffer.from(await layerPixels(page, documentId, placed.id)).equals(expected.bytes)).toBe(true);
  });

  it("upscales the selection of a Background layer into a new document", async () => {
    const page = await session.openPanel({ placement: "new-document" });
    await connectionStatus(page, "connected");
    const rgba = await face();
    const rgb = Buffer.alloc(48 * 48 * 3);
    for (let i = 0; i < 48 * 48; i++) rgba.copy(rgb, i * 3, i * 4, i * 4 + 3);
    const { documentId } = await addDocument(page, { title: "Studio shot", width: 48, height: 48 }, [
      { name: "Background", kind: "background", width: 48, height: 48, channels: 3, bitDepth: 8, data: Array.from(rgb) },
    ]);
    await page.evaluate((id) => (globalThis as any).harness.setSelection(id, { left: 12, top: 6, right: 36, bottom: 38 }), documentId);
    await choosePreset(page, FAST);
    await expect(page.innerText("[data-testid=size-readout]")).resolves.toBe("24 × 32 → 48 × 64 px, 0.00 MP");
    await upscale(page);
    const [source, created] = await documents(page);
    expect(source.history).toEqual(["Open"]);
    expect(created).toMatchObject({ width: 48, height: 64, history: ["New", "Upscale Portrait"] });
    const crop = Buffer.alloc(24 * 32 * 3);
    for (let y = 0; y < 32; y++) rgb.copy(crop, y * 72, ((6 + y) * 48 + 12) * 3, ((6 + y) * 48 + 36) * 3);
    const expected = await session.reference(page, { width: 24, height: 32, channels: 3, bitDepth: 8, bytes: crop });
    expect(Buffer.from(await layerPixels(page, created.id, created.layers[0].id)).equals(expected.bytes)).toBe(true);
  });

  it("applies a locked studio preset as it is, its sliders disabled", async () => {
    const page = await session.openPanel();
    await connectionStatus(page, "connected");
    const pixels = await face(32);
    const { documentId } = await addDocument(page, { title: "Studio", width: 32, height: 32 }, [
      { name: "Face", width: 32, height: 32, channels: 4, bitDepth: 8, data: Array.from(pixels) },
    ]);
    const locked = await page.evaluate(() => (globalThis as any).harness.state().presets.find((preset: { locked: boolean }) => preset.locked));
    expect(locked).toMatchObject({ source: "studio", locked: true });
    await choosePreset(page, locked.id);
    await expect(page.locator("[data-testid=preset] option:checked").innerText()).resolves.toMatch(/ · Locked$/);
    await page.waitForSelector("[data-testid=preset-locked]");
    await expect(page.locator("[data-testid=creativity] input").isDisabled()).resolves.toBe(true);
    await expect(page.locator("[data-testid=scale]").isDisabled()).resolves.toBe(true);
    await screenshotBoth(page, "03-locked-preset");
    await upscale(page);
    const placed = (await documents(page))[0].layers.at(-1)!;
    const expected = await session.reference(page, { width: 32, height: 32, channels: 4, bitDepth: 8, bytes: pixels }, locked.id, true);
    expect(Buffer.from(await layerPixels(page, documentId, placed.id)).equals(expected.bytes)).toBe(true);
  });

  it("explains a 32-bit document before anything is tried", async () => {
    const page = await session.openPanel();
    await connectionStatus(page, "connected");
    await addDocument(page, { title: "HDR", width: 16, height: 16, bitDepth: 32 }, [
      { name: "Light", width: 16, height: 16, channels: 4, bitDepth: 8, data: new Array(16 * 16 * 4).fill(200) },
    ]);
    await expect(page.innerText("[data-testid=size-readout]")).resolves.toBe(
      "32-bit documents are not supported. Choose Image › Mode › 16 Bits/Channel, upscale, then convert back if you need to.",
    );
    await expect(page.locator("[data-testid=upscale]").isDisabled()).resolves.toBe(true);
    await screenshotBoth(page, "04-32-bit-document");
  });
});
