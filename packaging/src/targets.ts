/**
 * The platforms a desktop bundle is built for, and every per-platform fact the packager and
 * the bundle checks need, in one table.
 */

/** The Node.js release every bundle carries: an LTS line the project supports (>= 20.19). */
export const NODE_VERSION = "22.23.2";

export type BundleTargetId = "win32-x64" | "win32-arm64" | "darwin-arm64" | "linux-x64" | "linux-arm64";
export type BinaryFormat = "pe" | "macho" | "elf";

export interface BundleTarget {
  readonly id: BundleTargetId;
  readonly platform: "win32" | "darwin" | "linux";
  readonly arch: "x64" | "arm64";
  /** The npm package holding the official Node.js binary for this platform. */
  readonly nodePackage: string;
  /** The binary's path inside that package. */
  readonly nodeBinaryInPackage: string;
  /** Where the runtime goes inside the bundle's resources. */
  readonly runtimePath: string;
  /** sharp's native packages for this platform (the addon, and libvips where it is separate). */
  readonly sharpPackages: readonly string[];
  readonly archive: "zip" | "tar.gz";
  readonly binaryFormat: BinaryFormat;
  /**
   * The bundle's resources folder inside the archive's top folder: macOS gets an application
   * bundle the Finder can open; the others a plain folder.
   */
  readonly resourcesPath: string;
}

function target(id: BundleTargetId): BundleTarget {
  const [platform, arch] = id.split("-") as [BundleTarget["platform"], BundleTarget["arch"]];
  const windows = platform === "win32";
  const mac = platform === "darwin";
  const sharpPlatform = `${platform}-${arch}`;
  return {
    id,
    platform,
    arch,
    // The registry publishes darwin-arm64 under "node-bin-…" (the name the `node` package installs there).
    nodePackage: mac ? `node-bin-${platform}-${arch}` : `node-${windows ? "win" : platform}-${arch}`,
    nodeBinaryInPackage: windows ? "bin/node.exe" : "bin/node",
    runtimePath: windows ? "runtime/node.exe" : "runtime/node",
    // sharp's Windows packages carry libvips inside; the others keep it in a separate package.
    sharpPackages: windows ? [`@img/sharp-${sharpPlatform}`] : [`@img/sharp-${sharpPlatform}`, `@img/sharp-libvips-${sharpPlatform}`],
    archive: platform === "linux" ? "tar.gz" : "zip",
    binaryFormat: windows ? "pe" : mac ? "macho" : "elf",
    resourcesPath: mac ? "Portrait Upscale.app/Contents/Resources" : "",
  };
}

export const BUNDLE_TARGETS: readonly BundleTarget[] = (
  ["win32-x64", "win32-arm64", "darwin-arm64", "linux-x64", "linux-arm64"] as const
).map(target);

/** The target with that id; throws with the valid ids otherwise. */
export function findTarget(id: string): BundleTarget {
  const found = BUNDLE_TARGETS.find((entry) => entry.id === id);
  if (!found) throw new Error(`Unknown bundle target "${id}". Should be one of: ${BUNDLE_TARGETS.map((entry) => entry.id).join(", ")}`);
  return found;
}

/** The target matching the machine running this code, if any. */
export function hostTarget(): BundleTarget | undefined {
  return BUNDLE_TARGETS.find((entry) => entry.platform === process.platform && entry.arch === process.arch);
}

/** The archive's top folder (and file stem): `portrait-upscale-0.1.0-linux-x64`. */
export function bundleName(version: string, target: BundleTarget): string {
  return `portrait-upscale-${version}-${target.id}`;
}
