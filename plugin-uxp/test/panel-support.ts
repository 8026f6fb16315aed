/**
 * What the panel model's tests against a real daemon share: a socket factory on `ws` (Node's
 * stand-in for UXP's WebSocket), the wait for a state the panel reaches by itself, and the
 * clean-up of the daemon and panel each test starts.
 */
import WebSocket from "ws";
import { afterEach } from "vitest";
import { startTestDaemon, type TestDaemon } from "portrait-upscale/test/daemon/helpers";
import type { SocketFactory, SocketLike } from "../src/client/socket";
import type { PanelModel } from "../src/model/panel-model";

/** Sockets as UXP opens them, on `ws` (no compression, as UXP sends none). */
export const sockets: SocketFactory = (url) => new WebSocket(url, { perMessageDeflate: false }) as unknown as SocketLike;

/** Resolves once `condition()` holds; rejects naming `what` after `ms`. */
export async function until(what: string, condition: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The daemon and the panel model a test started; {@link stopAfterEach} stops both after each test. */
export interface Running {
  daemon: TestDaemon | undefined;
  model: PanelModel | undefined;
  /** Starts a test daemon and keeps it to be stopped. */
  startDaemon(options?: Parameters<typeof startTestDaemon>[0]): Promise<TestDaemon>;
}

/** Registers the clean-up of what each test starts; call once at the top of a test file. */
export function stopAfterEach(): Running {
  const running: Running = {
    daemon: undefined,
    model: undefined,
    startDaemon: async (options) => (running.daemon = await startTestDaemon(options)),
  };
  afterEach(async () => {
    running.model?.dispose();
    running.model = undefined;
    await running.daemon?.stop();
    running.daemon = undefined;
  });
  return running;
}
