// Packs dist/ into dist/portrait-upscale.ccx: a zip with manifest.json at its root, files
// mode 0644 and folders 0755 (Creative Cloud refuses entries it cannot read). Written here
// with node:zlib so packaging needs no zip program.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateRawSync } from "node:zlib";
import { crc32 } from "./png-file.mjs";

const here = dirname(fileURLToPath(import.meta.url));
export const CCX_NAME = "portrait-upscale.ccx";

/** Entries of `dir`, folders before their contents, in a stable order; skips .ccx files. */
function entriesOf(dir, root = dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const rel = relative(root, path).split(sep).join("/");
    if (statSync(path).isDirectory()) out.push({ name: `${rel}/`, directory: true }, ...entriesOf(path, root));
    else if (!name.endsWith(".ccx")) out.push({ name: rel, directory: false, data: readFileSync(path) });
  }
  return out;
}

/** DOS date and time of a fixed moment, so the same input gives the same package. */
const DOS_TIME = 0;
const DOS_DATE = (2026 - 1980) << 9 | 1 << 5 | 1;

/** Builds a zip archive of `entries` ({name, directory, data}). */
export function zip(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, "utf8");
    const data = entry.directory ? Buffer.alloc(0) : entry.data;
    const deflated = entry.directory ? Buffer.alloc(0) : deflateRawSync(data, { level: 9 });
    const stored = entry.directory || deflated.length >= data.length;
    const body = stored ? data : deflated;
    const method = stored ? 0 : 8;
    const crc = entry.directory ? 0 : crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, body);
    const mode = entry.directory ? 0o40755 : 0o100644;
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so the modes below count
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((mode << 16) | (entry.directory ? 0x10 : 0)) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** Packs `distDir` into `distDir/portrait-upscale.ccx`; returns its path. */
export function packageCcx(distDir = join(here, "..", "dist")) {
  const entries = entriesOf(distDir);
  if (!entries.some((entry) => entry.name === "manifest.json")) {
    throw new Error(`Expected manifest.json at the root of ${distDir} but it is missing: run the build first`);
  }
  const path = join(distDir, CCX_NAME);
  writeFileSync(path, zip(entries));
  return path;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(`Packaged ${packageCcx()}`);
}
