import { describe, expect, it } from "vitest";
import { probeHealth, type FetchLike } from "./health";

const address = { host: "127.0.0.1", port: 7421 };
const answering = (status: number, body: string): FetchLike => async () => ({ ok: status < 400, status, text: async () => body });

describe("health probe", () => {
  it("tells nothing listening, another program, the daemon, and the daemon of another protocol apart", async () => {
    const refused: FetchLike = async () => {
      throw new TypeError("fetch failed");
    };
    expect(await probeHealth(refused, address)).toBe("nothing");
    expect(await probeHealth(answering(200, "<html>router login</html>"), address)).toBe("foreign");
    expect(await probeHealth(answering(404, '{"detail":"Not Found"}'), address)).toBe("foreign");
    expect(await probeHealth(answering(200, '{"name":"portrait-upscale","version":"0.1.0","protocol":1}'), address)).toBe("daemon");
    expect(await probeHealth(answering(200, '{"name":"portrait-upscale","version":"9.0.0","protocol":9}'), address)).toBe("daemon-other-protocol");
    expect(await probeHealth(answering(403, '{"error":{"code":"HOST_FORBIDDEN","message":"…"}}'), address)).toBe("daemon");
  });

  it("asks the daemon's health endpoint at the configured address", async () => {
    const urls: string[] = [];
    const recording: FetchLike = async (url) => {
      urls.push(url);
      return { ok: true, status: 200, text: async () => "{}" };
    };
    await probeHealth(recording, { host: "::1", port: 7500 });
    expect(urls).toEqual(["http://[::1]:7500/v1/health"]);
  });
});
