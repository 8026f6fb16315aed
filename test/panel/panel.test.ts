/**
 * The Photoshop panel end to end in a real browser: the built harness (the panel over the
 * in-memory Photoshop) against the real daemon, `portrait-upscale serve`, with real models.
 * Every result is compared pixel for pixel with the same job run over HTTP on the same daemon.
 * Screenshots of the panel's states (dark and light) go to test-artifacts/panel/.
 */
import { execFileSync } from "node:child_process";
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import { join } from "node:path";
import sharp from "sharp";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { photoshopSamplesToWire, wireToPhotoshopSamples } from "@portrait-upscale/plugin-uxp/src/photoshop/bit-depth";
import { estimateText } from "@portrait-upscale/plugin-uxp/src/model/estimate";
import type { Estimate } from "@portrait-upscale/shared";
import { repoPath } from "../support/paths";
import {
  buildDaemon,
  buildHarness,
  daemonFolders,
  httpUpscale,
  launchChromium,
  pairingCode,
  removeTree,
  serveStatic,
  startServe,
  tokenOf,
  type DaemonFolders,
  type ServeProcess,
} from "./support";

const ARTIFACTS = repoPath("test-artifacts", "panel");
const FAST = "fast-preview";

let harnessDir: string | undefined;
let harness: { server: Server; origin: string } | undefined;
let folders: DaemonFolders | undefined;
let daemon: ServeProcess | undefined;
let token = "";
let browser: Browser | undefined;
const pages: Page[] = [];

beforeAll(async () => {
  buildDaemon();
  harnessDir = await buildHarness();
  harness = await serveStatic(harnessDir);
  folders = await daemonFolders(harness.origin);
  await copyFile(repoPath("shared", "fixtures", "protocol", "preset.studio-locked.json"), join(folders.studioDir, "studio-catalogue.json"));
  daemon = await startServe(folders);
  token = await tokenOf(folders);
  browser = await launchChromium();
  await mkdir(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  for (const page of pages.splice(0)) await page.close().catch(() => undefined);
  await browser?.close();
  await daemon?.stop();
  harness?.server.close();
  await removeTree(harnessDir);
  await removeTree(folders && join(folders.configDir, ".."));
});

type Theme = "dark" | "light";

interface StartOptions {
  readonly token?: string;
  readonly placement?: "keep" | "enlarge" | "new-document";
  readonly theme?: Theme;
}

async function openPanel(options: StartOptions = {}): Promise<Page> {
  const page = await browser!.newPage({ viewport: { width: 290, height: 700 }, deviceScaleFactor: 2 });
  pages.push(page);
  page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
  await page.emulateMedia({ colorScheme: options.theme ?? "dark" });
  await page.goto(`${harness!.origin}/index.html`);
  const start = { port: daemon!.port, placement: options.placement ?? "keep", ...(options.token !== "" ? { token: options.token ?? token } : {}) };
  await page.evaluate((o) => (globalThis as any).harness.start(o), start);
  return page;
}

async function connectionStatus(page: Page, status: string, timeout = 20_000): Promise<void> {
  await page.waitForSelector(`[data-testid=connection][data-status=${status}]`, { timeout });
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.locator(".harness-frame").screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** Screenshots the current state in both themes. */
async function screenshotBoth(page: Page, name: string): Promise<void> {
  for (const theme of ["dark", "light"] as const) {
    await page.emulateMedia({ colorScheme: theme });
    await screenshot(page, `${name}-${theme}`);
  }
  await page.emulateMedia({ colorScheme: "dark" });
}

/** A 48×48 crop of a real face, RGBA 8-bit. */
async function face(size = 48): Promise<Buffer> {
  return sharp(repoPath("test", "fixtures", "astronaut-face-64.png")).resize(size, size).ensureAlpha().raw().toBuffer();
}

interface Layer {
  readonly name: string;
  readonly kind?: string;
  readonly left?: number;
  readonly top?: number;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
  readonly bitDepth: 8 | 16;
  readonly data: number[];
}

async function addDocument(page: Page, doc: Record<string, unknown>, layers: Layer[]): Promise<{ documentId: number; layerIds: number[] }> {
  return page.evaluate(
    ({ doc, layers }) => {
      const h = (globalThis as any).harness;
      const documentId = h.addDocument(doc);
      return { documentId, layerIds: layers.map((layer: unknown) => h.addLayer(documentId, layer)) };
    },
    { doc, layers },
  );
}

interface DocView {
  id: number;
  width: number;
  height: number;
  history: string[];
  layers: { id: number; name: string; kind: string; bounds: { left: number; top: number; right: number; bottom: number }; width: number; height: number; channels: number }[];
}

const documents = (page: Page): Promise<DocView[]> => page.evaluate(() => (globalThis as any).harness.documents());
const layerPixels = (page: Page, documentId: number, layerId: number): Promise<number[]> =>
  page.evaluate(([d, l]) => (globalThis as any).harness.layerPixels(d, l), [documentId, layerId]);
const panelSettings = (page: Page): Promise<{ scale: number; creativity: number; resemblance: number; denoise: number; faceRestore: string; faceRestoreStrength: number }> =>
  page.evaluate(() => (globalThis as any).harness.state().settings);

async function choosePreset(page: Page, id: string): Promise<void> {
  await page.selectOption("[data-testid=preset]", id);
  await page.waitForFunction((preset) => (globalThis as any).harness.state().settings.presetId === preset, id);
}

async function upscale(page: Page): Promise<void> {
  await page.click("[data-testid=upscale]");
  await page.waitForSelector("[data-testid=job][data-status=done], [data-testid=job][data-status=failed]", { timeout: 120_000 });
  const failed = await page.$("[data-testid=job][data-status=failed]");
  if (failed) throw new Error(`the job failed: ${await failed.innerText()}`);
}

/** The HTTP job the panel's job must equal: same pixels, preset and values. */
async function reference(page: Page, image: { width: number; height: number; channels: number; bitDepth: 8 | 16; bytes: Buffer }, preset = FAST, locked = false) {
  const settings = await panelSettings(page);
  const values: Record<string, number> = locked ? {} : { scale: settings.scale, creativity: settings.creativity, resemblance: settings.resemblance, denoise: settings.denoise };
  return httpUpscale(daemon!.port, token, image, { preset, review: 1, format: "raw", ...values });
}

describe("Photoshop panel in a browser against the real daemon", () => {
  it("upscales an 8-bit layer into one smart object step that equals the daemon's HTTP result", async () => {
    const page = await openPanel();
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
    expect(thumbnails.map((thumbnail) => thumbnail.region)).toEqual(["eyes", "noseBridge", "lips", "hairline"]);
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
    const expected = await reference(page, { width: 48, height: 48, channels: 4, bitDepth: 8, bytes: pixels });
    expect(expected).toMatchObject({ width: 96, height: 96, channels: 4 });
    const actual = Buffer.from(await layerPixels(page, documentId, placed.id));
    expect(actual.equals(expected.bytes)).toBe(true);
    await expect(page.innerText("[data-testid=result-detail]")).resolves.toMatch(/48 × 48 → 96 × 96 px · .*realesrgan-x4fast.* on CPU · \d+\.\d s/);
  });

  it("round-trips a 16-bit document exactly, enlarging the document", async () => {
    const page = await openPanel({ placement: "enlarge" });
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
    const expected = await reference(page, { width: 48, height: 48, channels: 4, bitDepth: 16, bytes: wire });
    expect(expected.bitDepth).toBe(16);
    const expectedPhotoshop = Array.from(wireToPhotoshopSamples(expected.bytes, 16));
    const actual = await layerPixels(page, documentId, placed.id);
    expect(actual.length).toBe(expectedPhotoshop.length);
    expect(actual).toEqual(expectedPhotoshop);
    expect(Math.max(...actual)).toBeLessThanOrEqual(32768);
  });

  it("upscales only the visible part of a mostly transparent layer, at its offset", async () => {
    const page = await openPanel();
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
    const expected = await reference(page, { width: 20, height: 16, channels: 4, bitDepth: 8, bytes: crop });
    expect(Buffer.from(await layerPixels(page, documentId, placed.id)).equals(expected.bytes)).toBe(true);
  });

  it("upscales the selection of a Background layer into a new document", async () => {
    const page = await openPanel({ placement: "new-document" });
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
    const expected = await reference(page, { width: 24, height: 32, channels: 3, bitDepth: 8, bytes: crop });
    expect(Buffer.from(await layerPixels(page, created.id, created.layers[0].id)).equals(expected.bytes)).toBe(true);
  });

  it("applies a locked studio preset as it is, its sliders disabled", async () => {
    const page = await openPanel();
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
    const expected = await reference(page, { width: 32, height: 32, channels: 4, bitDepth: 8, bytes: pixels }, locked.id, true);
    expect(Buffer.from(await layerPixels(page, documentId, placed.id)).equals(expected.bytes)).toBe(true);
  });

  it("explains a 32-bit document before anything is tried", async () => {
    const page = await openPanel();
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

  it("notices the daemon stopping, says so, and reconnects by itself when it is back", async () => {
    const page = await openPanel();
    await connectionStatus(page, "connected");
    const port = daemon!.port;
    await daemon!.stop();
    await connectionStatus(page, "daemon-not-running");
    await expect(page.innerText("[data-testid=connection-title]")).resolves.toBe("The daemon stopped.");
    await screenshotBoth(page, "09-daemon-stopped");
    daemon = await startServe(folders!, port);
    await connectionStatus(page, "connected", 60_000);
    const pixels = await face(16);
    await addDocument(page, { title: "After restart", width: 16, height: 16 }, [{ name: "Face", width: 16, height: 16, channels: 4, bitDepth: 8, data: Array.from(pixels) }]);
    await choosePreset(page, FAST);
    await upscale(page);
  });
  it("says a token is wrong, and pairs with the code `portrait-upscale pair` prints", async () => {
    const page = await openPanel({ token: "w".repeat(43) });
    await connectionStatus(page, "wrong-token");
    await screenshotBoth(page, "07-wrong-token");
    await page.fill("[data-testid=pair-code]", "000-000");
    await page.click("[data-testid=pair]");
    await connectionStatus(page, "pairing-needed");
    await expect(page.innerText("[data-testid=connection-title]")).resolves.toBe("That pairing code did not work.");
    await screenshotBoth(page, "08-pairing-needed");
    await page.fill("[data-testid=pair-code]", await pairingCode(folders!, daemon!.port));
    await page.click("[data-testid=pair]");
    await connectionStatus(page, "connected");
    expect(await page.evaluate(() => (globalThis as any).harness.adapter.data.get("token"))).toBe(token);
  });

  it("cancels a running job on the daemon and leaves the document as it was", async () => {
    const page = await openPanel();
    await connectionStatus(page, "connected");
    const big = await sharp(repoPath("test", "fixtures", "astronaut-face-128.png")).resize(192, 192).ensureAlpha().raw().toBuffer();
    const { documentId } = await addDocument(page, { title: "Large", width: 192, height: 192 }, [
      { name: "Face", width: 192, height: 192, channels: 4, bitDepth: 8, data: Array.from(big) },
    ]);
    await choosePreset(page, "portrait-natural");
    // Before Upscale: the daemon's estimate for this layer and these settings, in the CLI's words.
    await page.waitForSelector("[data-testid=estimate]");
    const estimateSeconds = (): Promise<number | undefined> => page.evaluate(() => (globalThis as any).harness.state().estimate?.seconds);
    const atPresetScale = await estimateSeconds();
    await page.selectOption("[data-testid=scale]", "4");
    await page.waitForFunction((before) => {
      const seconds = (globalThis as any).harness.state().estimate?.seconds;
      return seconds !== undefined && seconds > (before ?? 0);
    }, atPresetScale);
    const settings = await panelSettings(page);
    const query = `preset=portrait-natural&scale=4&creativity=${settings.creativity}&resemblance=${settings.resemblance}&denoise=${settings.denoise}&width=192&height=192`;
    const answer = (await (await fetch(`http://127.0.0.1:${daemon!.port}/v1/estimate?${query}`, { headers: { Authorization: `Bearer ${token}` } })).json()) as Estimate;
    await expect(page.innerText("[data-testid=estimate]")).resolves.toBe(`Estimate: ${estimateText(answer)}`);
    await page.click("[data-testid=upscale]");
    await page.waitForSelector("[data-testid=job][data-phase=working]", { timeout: 60_000 });
    // The ETA is there from the first progress: it starts from the estimate, not from timed tiles.
    await expect(page.innerText("[data-testid=eta]")).resolves.toMatch(/ · (about \d+ (s|min) left|almost done)$/);
    await connectionStatus(page, "busy");
    await screenshotBoth(page, "05-working");
    const jobId: string = await page.evaluate(() => (globalThis as any).harness.state().job.phase.jobId);
    await page.click("[data-testid=cancel]");
    await page.waitForSelector("[data-testid=job][data-status=cancelled]", { timeout: 30_000 });
    await screenshot(page, "06-cancelled-dark");
    const status = await fetch(`http://127.0.0.1:${daemon!.port}/v1/jobs/${jobId}`, { headers: { Authorization: `Bearer ${token}` } });
    if (status.status === 200) expect(((await status.json()) as { state: string }).state).toBe("cancelled");
    else expect(status.status).toBe(404);
    const [doc] = await documents(page);
    expect(doc.layers).toHaveLength(1);
    expect(doc.history).toEqual(["Open"]);
    expect(documentId).toBe(doc.id);
    await connectionStatus(page, "connected");
  });

  it("shows the face-restore chooser only once the daemon lists a face-restore model, with a strength for a chosen one", async () => {
    const before = await openPanel();
    await connectionStatus(before, "connected");
    await expect(before.locator("[data-testid=face-restore-field]").count()).resolves.toBe(0);

    // What `portrait-upscale models add restore.onnx --role face-restore --name faces` records.
    const modelFolder = join(folders!.configDir, "models");
    await mkdir(modelFolder, { recursive: true });
    await writeFile(join(modelFolder, "faces.onnx"), "a brought model's bytes");
    const record = { name: "faces", role: "face-restore", file: "faces.onnx", sha256: "0".repeat(64), bytes: 23, opset: 17, nativeScale: 1, range: [-1, 1], inputName: "input", outputName: "output", licence: "test", addedFrom: "restore.onnx", addedAt: new Date().toISOString() };
    await writeFile(join(modelFolder, "models.json"), JSON.stringify({ schemaVersion: 1, models: [record] }));

    const page = await openPanel();
    await connectionStatus(page, "connected");
    await page.waitForSelector("[data-testid=face-restore-field]");
    await expect(page.locator("[data-testid=face-restore] option").allInnerTexts()).resolves.toEqual(["The preset's", "None", "faces (yours)"]);
    await expect(page.locator("[data-testid=face-restore-strength]").count()).resolves.toBe(0);
    await page.selectOption("[data-testid=face-restore]", "user:faces");
    await page.waitForSelector("[data-testid=face-restore-strength]");
    await expect(panelSettings(page)).resolves.toMatchObject({ faceRestore: "user:faces", faceRestoreStrength: 0.5 });
    await screenshotBoth(page, "07-face-restore");
  });

  it("connects to a daemon served with TLS once the settings' Secure (wss://) switch is on", async () => {
    const dir = join(folders!.configDir, "..", "tls");
    await mkdir(dir, { recursive: true });
    const [key, cert] = [join(dir, "key.pem"), join(dir, "cert.pem")];
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert], { stdio: "ignore" });
    const secure = await startServe(folders!, 0, ["--tls-cert", cert, "--tls-key", key]);
    // The test's certificate is self-signed: this browser context trusts it, as a studio's machines would trust theirs.
    const context = await browser!.newContext({ ignoreHTTPSErrors: true, viewport: { width: 290, height: 700 } });
    try {
      const page = await context.newPage();
      await page.goto(`${harness!.origin}/index.html`);
      await page.evaluate((o) => (globalThis as any).harness.start(o), { port: daemon!.port, placement: "keep", token });
      await connectionStatus(page, "connected");
      await page.click("[data-testid=edit-address]");
      await page.fill("[data-testid=port]", String(secure.port));
      // Plain ws:// to a TLS port fails; the switch makes the panel speak wss:// and https://.
      await page.click("[data-testid=secure]");
      await page.click("[data-testid=save-address]");
      await connectionStatus(page, "connected");
      const settings = await page.evaluate(() => (globalThis as any).harness.state().settings);
      expect(settings).toMatchObject({ port: secure.port, secure: true });
      await screenshot(page, "10-secure-address-dark");
    } finally {
      await context.close();
      await secure.stop();
    }
  });

});
