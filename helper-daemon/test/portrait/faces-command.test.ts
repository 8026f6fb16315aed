import { describe, expect, it } from "vitest";
import { runCliCaptured } from "../support/run-cli";
import { fixturePath, repoRoot } from "./support";

async function cli(...argv: string[]) {
  return runCliCaptured(argv, { cwd: repoRoot, env: process.env });
}

describe("portrait-upscale faces", () => {
  it("prints the astronaut's face as JSON", async () => {
    const { code, stdout } = await cli("faces", fixturePath("astronaut.png"), "--json");
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect([result.width, result.height]).toEqual([512, 512]);
    expect(result.faces).toHaveLength(1);
    expect(result.faces[0].box.x).toBeCloseTo(173.3, -0.5);
    expect(Object.keys(result.faces[0].keypoints)).toEqual(["rightEye", "leftEye", "noseTip", "mouth", "rightEar", "leftEar"]);
  });

  it("refuses a threshold out of range with INVALID_OPTION", async () => {
    const { code, stderr } = await cli("faces", fixturePath("astronaut.png"), "--threshold", "0.2");
    expect(code).not.toBe(0);
    expect(stderr).toContain("INVALID_OPTION");
  });
});
