/**
 * The panel tests' session: the harness built and served, one real daemon with the studio's
 * locked preset, Chromium, and the pages a test opens on the harness; plus the page helpers
 * that drive the in-memory Photoshop and read it back.
 */
import { copyFile, mkdir } from "node:fs/promises";
import type { Server } from "node:http";
import { join } from "node:path";
import sharp from "sharp";
import type { Browser, Page } from "playwright-core";
import type { HarnessLayer } from "@portrait-upscale/plugin-uxp/harness/harness-layer";
import { afterAll, beforeAll } from "vitest";
import { repoPath } from "../support/paths";
import { buildDaemon, buildHarness, daemonFolders, httpUpscale, launchChromium, removeTree, serveStatic, startServe, tokenOf, type DaemonFolders, type RawImage, type ServeProcess } from "./support";

/** Where the panel's screenshots go (dark and light). */
export const ARTIFACTS = repoPath("test-artifacts", "panel");
export const FAST = "fast-preview";

export interface OpenOptions {
  readonly token?: string;
  readonly placement?: "keep" | "enlarge" | "new-document";
  readonly theme?: "dark" | "light";
}

export interface PanelSession {
  readonly browser: Browser;
  readonly origin: string;
  readonly folders: DaemonFolders;
  readonly token: string;
  /** The running daemon; a test that stops it must `restart` it. */
  readonly daemon: ServeProcess;
  /** Starts the daemon again on the same folders (and port, when given). */
  restart(port?: number): Promise<void>;
  /** Opens the harness in a new page, started against the daemon (`token: ""` starts it unpaired). */
  openPanel(options?: OpenOptions): Promise<Page>;
  /** The HTTP job the panel's job must equal: same pixels, preset and (unless the preset is locked) the panel's values. */
  reference(page: Page, image: RawImage, preset?: string, locked?: boolean): Promise<RawImage>;
}

/** Registers the file's before-all set-up and after-all tear-down; the session is ready inside tests. */
export function panelSession(): PanelSession {
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

  const session: PanelSession = {
    get browser() {
      return browser!;
    },
    get origin() {
      return harness!.origin;
    },
    get folders() {
      return folders!;
    },
    get token() {
      return token;
    },
    get daemon() {
      return daemon!;
    },
    async restart(port = 0) {
      daemon = await startServe(folders!, port);
    },
    async openPanel(options = {}) {
      const page = await browser!.newPage({ viewport: { width: 290, height: 700 }, deviceScaleFactor: 2 });
      pages.push(page);
      page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
      await page.emulateMedia({ colorScheme: options.theme ?? "dark" });
      await page.goto(`${harness!.origin}/index.html`);
      const start = { port: daemon!.port, placement: options.placement ?? "keep", ...(options.token !== "" ? { token: options.token ?? token } : {}) };
      await page.evaluate((o) => (globalThis as any).harness.start(o), start);
      return page;
    },
    async reference(page, image, preset = FAST, locked = false) {
      const settings = await panelSettings(page);
      const values: Record<string, number> = locked ? {} : { scale: settings.scale, creativity: settings.creativity, resemblance: settings.resemblance, denoise: settings.denoise };
      return httpUpscale(daemon!.port, token, image, { preset, review: 1, format: "raw", ...values });
    },
  };
  return session;
}

/** Waits until the panel shows this connection status. */
export async function connectionStatus(page: Page, status: string, timeout = 20_000): Promise<void> {
  await page.waitForSelector(`[data-testid=connection][data-status=${status}]`, { timeout });
}

/** Screenshots the panel's frame as it is now. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.locator(".harness-frame").screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** Screenshots the current state in both themes. */
export async function screenshotBoth(page: Page, name: string): Promise<void> {
  for (const theme of ["dark", "light"] as const) {
    await page.emulateMedia({ colorScheme: theme });
    await screenshot(page, `${name}-${theme}`);
  }
  await page.emulateMedia({ colorScheme: "dark" });
}

/** A square crop of a real face (48 px unless told), RGBA 8-bit. */
export async function face(size = 48): Promise<Buffer> {
  return sharp(repoPath("test", "fixtures", "astronaut-face-64.png")).resize(size, size).ensureAlpha().raw().toBuffer();
}

/** Opens a document with these layers in the in-memory Photoshop. */
export async function addDocument(page: Page, doc: Record<string, unknown>, layers: HarnessLayer[]): Promise<{ documentId: number; layerIds: number[] }> {
  return page.evaluate(
    ({ doc, layers }) => {
      const h = (globalThis as any).harness;
      const documentId = h.addDocument(doc);
      return { documentId, layerIds: layers.map((layer: unknown) => h.addLayer(documentId, layer)) };
    },
    { doc, layers },
  );
}

/** A document as the in-memory Photoshop reports it. */
export interface DocView {
  id: number;
  width: number;
  height: number;
  history: string[];
  layers: { id: number; name: string; kind: string; bounds: { left: number; top: number; right: number; bottom: number }; width: number; height: number; channels: number }[];
}

export const documents = (page: Page): Promise<DocView[]> => page.evaluate(() => (globalThis as any).harness.documents());
export const layerPixels = (page: Page, documentId: number, layerId: number): Promise<number[]> =>
  page.evaluate(([d, l]) => (globalThis as any).harness.layerPixels(d, l), [documentId, layerId]);
export const panelSettings = (page: Page): Promise<{ scale: number; creativity: number; resemblance: number; denoise: number; faceRestore: string; faceRestoreStrength: number }> =>
  page.evaluate(() => (globalThis as any).harness.state().settings);

/** Chooses a preset in the panel and waits until its settings follow. */
export async function choosePreset(page: Page, id: string): Promise<void> {
  await page.selectOption("[data-testid=preset]", id);
  await page.waitForFunction((preset) => (globalThis as any).harness.state().settings.presetId === preset, id);
}

/** Clicks Upscale and waits for the job to finish; throws with the panel's words if it failed. */
export async function upscale(page: Page): Promise<void> {
  await page.click("[data-testid=upscale]");
  await page.waitForSelector("[data-testid=job][data-status=done], [data-testid=job][data-status=failed]", { timeout: 120_000 });
  const failed = await page.$("[data-testid=job][data-status=failed]");
  if (failed) throw new Error(`the job failed: ${await failed.innerText()}`);
}
