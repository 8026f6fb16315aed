import { describe, expect, it } from "vitest";
import { httpUrl, webSocketUrl } from "./daemon-client";

describe("daemon URLs", () => {
  it.each([
    [{ host: "127.0.0.1", port: 7421 }, "ws://127.0.0.1:7421/v1/ws", "http://127.0.0.1:7421"],
    [{ host: "gpu-1.studio.lan", port: 7421, secure: true }, "wss://gpu-1.studio.lan:7421/v1/ws", "https://gpu-1.studio.lan:7421"],
    [{ host: "::1", port: 9000, secure: true }, "wss://[::1]:9000/v1/ws", "https://[::1]:9000"],
  ])("%j → %s and %s", (address, ws, http) => {
    expect(webSocketUrl(address)).toBe(ws);
    expect(httpUrl(address)).toBe(http);
  });
});
