/**
 * Reads the first bytes of an executable or shared library and names its format and CPU:
 * enough to prove that a bundle for Windows on Arm carries Arm code, without the platform.
 * Written here because it is forty lines over three fixed headers (PE, Mach-O, ELF).
 */
import { open } from "node:fs/promises";
import type { BinaryFormat } from "./targets";

export interface BinaryKind {
  readonly format: BinaryFormat;
  /** Node's names: "x64", "arm64", or the raw machine number for anything else. */
  readonly arch: string;
}

const PE_MACHINES: Record<number, string> = { 0x8664: "x64", 0xaa64: "arm64", 0x14c: "ia32" };
const ELF_MACHINES: Record<number, string> = { 0x3e: "x64", 0xb7: "arm64" };
const MACHO_CPUS: Record<number, string> = { 0x01000007: "x64", 0x0100000c: "arm64" };

/** The format and architecture in a file's header, or undefined when it is none of the three. */
export function binaryKindOf(head: Buffer): BinaryKind | undefined {
  if (head.length >= 0x40 && head.toString("latin1", 0, 2) === "MZ") {
    const pe = head.readUInt32LE(0x3c);
    if (pe + 6 > head.length || head.toString("latin1", pe, pe + 4) !== "PE\0\0") return undefined;
    const machine = head.readUInt16LE(pe + 4);
    return { format: "pe", arch: PE_MACHINES[machine] ?? `0x${machine.toString(16)}` };
  }
  if (head.length >= 20 && head.readUInt32BE(0) === 0x7f454c46) {
    const machine = head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18);
    return { format: "elf", arch: ELF_MACHINES[machine] ?? `0x${machine.toString(16)}` };
  }
  if (head.length >= 8 && head.readUInt32LE(0) === 0xfeedfacf) {
    const cpu = head.readUInt32LE(4);
    return { format: "macho", arch: MACHO_CPUS[cpu] ?? `0x${cpu.toString(16)}` };
  }
  if (head.length >= 8 && head.readUInt32BE(0) === 0xcafebabe) {
    // A universal binary: report the architectures it holds, joined ("arm64+x64").
    const count = head.readUInt32BE(4);
    const arches: string[] = [];
    for (let index = 0; index < count && 8 + index * 20 + 4 <= head.length; index++) {
      const cpu = head.readUInt32BE(8 + index * 20);
      arches.push(MACHO_CPUS[cpu] ?? `0x${cpu.toString(16)}`);
    }
    return { format: "macho", arch: arches.sort().join("+") };
  }
  return undefined;
}

/** {@link binaryKindOf} for a file on disk (reads its first 4 KiB). */
export async function binaryKindOfFile(file: string): Promise<BinaryKind | undefined> {
  const handle = await open(file, "r");
  try {
    const head = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return binaryKindOf(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/** True for the files a platform loads as native code (by name), which the checks must inspect. */
export function isNativeCodeFile(name: string): boolean {
  return /\.(node|dll|exe|dylib)$/.test(name) || /\.so(\.\d+)*$/.test(name) || /(^|\/)runtime\/node$/.test(name);
}
