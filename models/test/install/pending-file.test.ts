// The one temporary-then-rename writer for the files write-file-atomic cannot write: whatever
// happens, the folder ends with the old file or the whole new one, and no temporary.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openPendingFile } from "../../src/pending-file";
import { writeModelFile } from "../../src/model-file";

const folders: string[] = [];
afterAll(async () => Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true }))));

async function folder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "pu-pending-"));
  folders.push(dir);
  return dir;
}

const bytes = new Uint8Array([1, 2, 3]);

describe("openPendingFile", () => {
  it.each([
    ["committed", true, [3, 1, 2, 3]],
    ["discarded before its commit", false, [9]],
  ])("leaves the target %s and no temporary", async (_case, commit, expected) => {
    const dir = await folder();
    await writeFile(join(dir, "out.bin"), new Uint8Array([9]));
    const pending = await openPendingFile(join(dir, "out.bin"), join(dir, ".out.bin.tmp"), { durable: true });
    try {
      if (commit) await pending.commit(new Uint8Array([3, 1, 2, 3]));
    } finally {
      await pending.discard();
    }
    expect(await readdir(dir)).toEqual(["out.bin"]);
    expect([...(await readFile(join(dir, "out.bin")))]).toEqual(expected);
  });

  it("a failed rename (the target is a folder) rejects and leaves no temporary after discard", async () => {
    const dir = await folder();
    await mkdir(join(dir, "out.bin"));
    const pending = await openPendingFile(join(dir, "out.bin"), join(dir, ".out.bin.tmp"));
    await expect(pending.commit(bytes)).rejects.toMatchObject({ code: "EISDIR" });
    await pending.discard();
    expect(await readdir(dir)).toEqual(["out.bin"]);
  });

  it("refuses a temporary that exists: another writer's, never overwritten", async () => {
    const dir = await folder();
    await writeFile(join(dir, ".out.bin.tmp"), "theirs");
    await expect(openPendingFile(join(dir, "out.bin"), join(dir, ".out.bin.tmp"))).rejects.toMatchObject({ code: "EEXIST" });
    expect(await readFile(join(dir, ".out.bin.tmp"), "utf8")).toBe("theirs");
  });
});

describe("writeModelFile", () => {
  it("writes the model and leaves no temporary; a failed write leaves none either", async () => {
    const dir = await folder();
    await writeModelFile(dir, "a.onnx", bytes);
    expect([...(await readFile(join(dir, "a.onnx")))]).toEqual([...bytes]);
    await mkdir(join(dir, "b.onnx"));
    await expect(writeModelFile(dir, "b.onnx", bytes)).rejects.toMatchObject({ code: "EISDIR" });
    expect((await readdir(dir)).sort()).toEqual(["a.onnx", "b.onnx"]);
  });
});
