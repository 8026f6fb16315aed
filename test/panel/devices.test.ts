/**
 * The panel's device chooser in a real browser against the real daemon. The test machine has
 * no GPU, so one daemon is told it has two devices through `PORTRAIT_UPSCALE_DEVICES` (the
 * daemon's documented seam: each listed device gets its own CPU pool); another keeps its one.
 * The chooser shows only with more than one device, the choice is stored and reaches the job,
 * and a stored device the daemon does not list falls back to the default with a message.
 */
import { readFile } from "node:fs/promises";
import type { Server } from "node:http";
import { join } from "node:path";
import sharp from "sharp";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messageFor } from "@portrait-upscale/plugin-uxp/src/ui/messages";
import { repoPath } from "../support/paths";
import { buildDaemon, buildHarness, daemonFolders, launchChromium, removeTree, serveStatic, startServe, tokenOf, type DaemonFolders, type ServeProcess } from "./support";

const TWO_DEVICES = JSON.stringify([
  { index: 0, name: "Integrated GPU" },
  { index: 1, name: "Discrete GPU" },
]);

let harnessDir: string | undefined;
let harness: { server: Server; origin: string } | undefined;
const daemons: { folders: DaemonFolders; serve: ServeProcess; token: string }[] = [];
let browser: Browser | undefined;

async function startDaemon(env: NodeJS.ProcessEnv): Promise<{ folders: DaemonFolders; serve: ServeProcess; token: string }> {
  const folders = await daemonFolders(harness!.origin);
  const serve = await startServe(folders, 0, [], env);
  const entry = { folders, serve, token: await tokenOf(folders) };
  daemons.push(entry);
  return entry;
}

beforeAll(async () => {
  buildDaemon();
  harnessDir = await buildHarness();
  harness = await serveStatic(harnessDir);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  for (const { serve, folders } of daemons.splice(0)) {
    await serve.stop();
    await removeTree(join(folders.configDir, ".."));
  }
  harness?.server.close();
  await removeTree(harnessDir);
});

async function openPanel(daemon: { serve: ServeProcess; token: string }, device?: number): Promise<Page> {
  const page = await browser!.newPage({ viewport: { width: 290, height: 700 } });
  page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
  await page.goto(`${harness!.origin}/index.html`);
  const start = { port: daemon.serve.port, token: daemon.token, presetId: "fast-preview", ...(device !== undefined ? { device } : {}) };
  await page.evaluate((o) => (globalThis as any).harness.start(o), start);
  await page.waitForSelector("[data-testid=connection][data-status=connected]", { timeout: 20_000 });
  return page;
}

describe("the panel's device chooser", () => {
  it("offers a two-device daemon's devices, stores the choice, and runs the job on it", async () => {
    const daemon = await startDaemon({ PORTRAIT_UPSCALE_DEVICES: TWO_DEVICES });
    const page = await openPanel(daemon);
    const options = await page.$$eval("[data-testid=device] option", (elements: any[]) => elements.map((element) => [element.value, element.textContent]));
    expect(options).toEqual([
      ["0", "Integrated GPU (default)"],
      ["1", "Discrete GPU"],
    ]);
    await page.selectOption("[data-testid=device]", "1");
    await page.waitForFunction(() => (globalThis as any).harness.state().settings.device === 1);
    expect(await page.evaluate(() => (globalThis as any).harness.storedSettings().device)).toBe(1);
    // The estimate is asked for the chosen device, and the job runs there (the daemon's log names it).
    const face = await sharp(repoPath("test", "fixtures", "astronaut-face-64.png")).resize(32, 32).ensureAlpha().raw().toBuffer();
    await page.evaluate((data) => {
      const h = (globalThis as any).harness;
      const documentId = h.addDocument({ title: "Portrait", width: 32, height: 32 });
      h.addLayer(documentId, { name: "Face", width: 32, height: 32, channels: 4, bitDepth: 8, data });
    }, Array.from(face));
    await page.click("[data-testid=upscale]");
    await page.waitForSelector("[data-testid=job][data-status=done], [data-testid=job][data-status=failed]", { timeout: 120_000 });
    expect(await page.getAttribute("[data-testid=job]", "data-status")).toBe("done");
    const log = await readFile(join(daemon.folders.configDir, "daemon.log"), "utf8");
    const started = log.split("\n").filter((line) => line.includes('"job started"')).map((line) => JSON.parse(line));
    expect(started.map((entry) => entry.data.device)).toEqual([1]);
    // Choosing the default again stores "the daemon's default", not a number.
    await page.selectOption("[data-testid=device]", "0");
    await page.waitForFunction(() => (globalThis as any).harness.state().settings.device === undefined);
    expect(await page.evaluate(() => (globalThis as any).harness.storedSettings())).not.toHaveProperty("device");
    await page.close();
  });

  it("hides the chooser on a one-device daemon, and falls back from a stored device it does not list, saying so", async () => {
    const daemon = await startDaemon({});
    const page = await openPanel(daemon, 1);
    await page.waitForSelector("[data-testid=device-lost]");
    expect(await page.$("[data-testid=device]")).toBeNull();
    expect(await page.innerText("[data-testid=device-lost]")).toBe(`${messageFor("DEVICE_UNKNOWN").title} Jobs run on CPU now.`);
    expect(await page.evaluate(() => (globalThis as any).harness.state().settings.device)).toBeUndefined();
    expect(await page.evaluate(() => (globalThis as any).harness.storedSettings())).not.toHaveProperty("device");
    await page.close();
  });
});
