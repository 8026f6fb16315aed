import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main";
import { fixturePath, repoRoot } from "./support";

function sink(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return Object.assign(stream, { text: () => chunks.join("") });
}

async function cli(...argv: string[]) {
  const stdout = sink();
  const stderr = sink();
  const code = await runCli(argv, { stdout, stderr, signal: new AbortController().signal, cwd: repoRoot, env: process.env });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
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
