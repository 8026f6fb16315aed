/**
 * The Photoshop panel's connection in a real browser against the real daemon (`portrait-upscale
 * serve`): the daemon stopping and coming back, a wrong token and pairing, cancelling with the
 * estimate shown first, the face-restore chooser following the daemon's models, and TLS.
 * Screenshots of the panel's states go to test-artifacts/panel/.
 */
import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { estimateText } from "@portrait-upscale/plugin-uxp/src/model/estimate";
import type { Estimate } from "@portrait-upscale/shared";
import { repoPath } from "../support/paths";
import { addDocument, choosePreset, connectionStatus, documents, face, FAST, panelSession, panelSettings, screenshot, screenshotBoth, upscale } from "./panel-session";
import { pairingCode, startServe } from "./support";

const session = panelSession();

describe("Photoshop panel's connection to the real daemon", () => {
  it("notices the daemon stopping, says so, and reconnects by itself when it is back", async () => {
    const page = await session.openPanel();
    await connectionStatus(page, "connected");
    const port = session.daemon.port;
    await session.daemon.stop();
    await connectionStatus(page, "daemon-not-running");
    await expect(page.innerText("[data-testid=connection-title]")).resolves.toBe("The daemon stopped.");
    await screenshotBoth(page, "09-daemon-stopped");
    await session.restart(port);
    await connectionStatus(page, "connected", 60_000);
    const pixels = await face(16);
    await addDocument(page, { title: "After restart", width: 16, height: 16 }, [{ name: "Face", width: 16, height: 16, channels: 4, bitDepth: 8, data: Array.from(pixels) }]);
    await choosePreset(page, FAST);
    await upscale(page);
  });
  it("says a token is wrong, and pairs with the code `portrait-upscale pair` prints", async () => {
    const page = await session.openPanel({ token: "w".repeat(43) });
    await connectionStatus(page, "wrong-token");
    await screenshotBoth(page, "07-wrong-token");
    await page.fill("[data-testid=pair-code]", "000-000");
    await page.click("[data-testid=pair]");
    await connectionStatus(page, "pairing-needed");
    await expect(page.innerText("[data-testid=connection-title]")).resolves.toBe("That pairing code did not work.");
    await screenshotBoth(page, "08-pairing-needed");
    await page.fill("[data-testid=pair-code]", await pairingCode(session.folders, session.daemon.port));
    await page.click("[data-testid=pair]");
    await connectionStatus(page, "connected");
    expect(await page.evaluate(() => (globalThis as any).harness.adapter.data.get("token"))).toBe(session.token);
  });

  it("cancels a running job on the daemon and leaves the document as it was", async () => {
    const page = await session.openPanel();
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
    const answer = (await (await fetch(`http://127.0.0.1:${session.daemon.port}/v1/estimate?${query}`, { headers: { Authorization: `Bearer ${session.token}` } })).json()) as Estimate;
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
    const status = await fetch(`http://127.0.0.1:${session.daemon.port}/v1/jobs/${jobId}`, { headers: { Authorization: `Bearer ${session.token}` } });
    if (status.status === 200) expect(((await status.json()) as { state: string }).state).toBe("cancelled");
    else expect(status.status).toBe(404);
    const [doc] = await documents(page);
    expect(doc.layers).toHaveLength(1);
    expect(doc.history).toEqual(["Open"]);
    expect(documentId).toBe(doc.id);
    await connectionStatus(page, "connected");
  });

  it("shows the face-restore chooser only once the daemon lists a face-restore model, with a strength for a chosen one", async () => {
    const before = await session.openPanel();
    await connectionStatus(before, "connected");
    await expect(before.locator("[data-testid=face-restore-field]").count()).resolves.toBe(0);

    // What `portrait-upscale models add restore.onnx --role face-restore --name faces` records.
    const modelFolder = join(session.folders.configDir, "models");
    await mkdir(modelFolder, { recursive: true });
    await writeFile(join(modelFolder, "faces.onnx"), "a brought model's bytes");
    const record = { name: "faces", role: "face-restore", file: "faces.onnx", sha256: "0".repeat(64), bytes: 23, opset: 17, nativeScale: 1, range: [-1, 1], inputName: "input", outputName: "output", licence: "test", addedFrom: "restore.onnx", addedAt: new Date().toISOString() };
    await writeFile(join(modelFolder, "models.json"), JSON.stringify({ schemaVersion: 1, models: [record] }));

    const page = await session.openPanel();
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
    const dir = join(session.folders.configDir, "..", "tls");
    await mkdir(dir, { recursive: true });
    const [key, cert] = [join(dir, "key.pem"), join(dir, "cert.pem")];
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert], { stdio: "ignore" });
    const secure = await startServe(session.folders, 0, ["--tls-cert", cert, "--tls-key", key]);
    // The test's certificate is self-signed: this browser context trusts it, as a studio's machines would trust theirs.
    const context = await session.browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 290, height: 700 } });
    try {
      const page = await context.newPage();
      await page.goto(`${session.origin}/index.html`);
      await page.evaluate((o) => (globalThis as any).harness.start(o), { port: session.daemon.port, placement: "keep", token: session.token });
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
