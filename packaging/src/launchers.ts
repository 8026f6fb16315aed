/**
 * The small files that make a bundle start like a desktop program: the `portrait-upscale`
 * command (a shell script or .cmd that runs the shipped Node.js on the bundled code), and the
 * thing a user double-clicks, which starts the daemon in the background.
 * With no arguments the command starts the daemon, so clicking it does the right thing too.
 */
import type { BundleTarget } from "./targets";

export interface LauncherFile {
  /** Relative to the archive's top folder. */
  readonly path: string;
  readonly text: string;
  readonly mode: number;
}

/** The URL scheme the panel opens to start the daemon (registered by `portrait-upscale install`). */
export const START_URL_SCHEME = "portrait-upscale";
export const MAC_BUNDLE_ID = "com.portraitupscale.helper";

const POSIX_COMMAND = `#!/bin/sh
# The Portrait Upscale command line, run by the Node.js shipped beside it: no Node.js or npm
# is needed on this machine. Without arguments it starts the daemon in the background.
self=$0
while [ -L "$self" ]; do
  link=$(readlink "$self")
  case $link in
    /*) self=$link ;;
    *) self=$(dirname "$self")/$link ;;
  esac
done
here=$(cd "$(dirname "$self")" && pwd -P)
if [ $# -eq 0 ]; then set -- start; fi
exec "$here/runtime/node" "$here/app/cli.js" "$@"
`;

const WINDOWS_COMMAND = `@echo off\r
rem The Portrait Upscale command line, run by the Node.js shipped beside it: no Node.js or npm\r
rem is needed on this machine. Without arguments it starts the daemon in the background.\r
setlocal\r
set "args=%*"\r
if "%~1"=="" set "args=start"\r
"%~dp0runtime\\node.exe" "%~dp0app\\cli.js" %args%\r
`;

// wscript runs this without a console window: the double-click, the login item and the panel's
// portrait-upscale:// link all come here.
const WINDOWS_CLICK = `' Starts the Portrait Upscale daemon in the background, without a console window.\r
Set shell = CreateObject("WScript.Shell")\r
here = CreateObject("Scripting.FileSystemObject").GetParentFolderName(WScript.ScriptFullName)\r
shell.Run """" & here & "\\runtime\\node.exe"" """ & here & "\\app\\cli.js"" start", 0, False\r
`;

const MAC_APP_EXECUTABLE = `#!/bin/sh
# Opening the app (Finder, login, the panel's portrait-upscale:// link) starts the daemon in the background.
here=$(cd "$(dirname "$0")/../Resources" && pwd -P)
exec "$here/runtime/node" "$here/app/cli.js" start
`;

function macInfoPlist(version: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>CFBundleName</key><string>Portrait Upscale</string>
  <key>CFBundleDisplayName</key><string>Portrait Upscale</string>
  <key>CFBundleIdentifier</key><string>${MAC_BUNDLE_ID}</string>
  <key>CFBundleExecutable</key><string>Portrait Upscale</string>
  <key>CFBundlePackageType</key><string>APPL</string>
  <key>CFBundleShortVersionString</key><string>${version}</string>
  <key>CFBundleVersion</key><string>${version}</string>
  <key>LSMinimumSystemVersion</key><string>12.0</string>
  <key>LSUIElement</key><true/>
  <key>CFBundleURLTypes</key>
  <array>
    <dict>
      <key>CFBundleURLName</key><string>${MAC_BUNDLE_ID}.start</string>
      <key>CFBundleURLSchemes</key><array><string>${START_URL_SCHEME}</string></array>
    </dict>
  </array>
</dict>
</plist>
`;
}

/** Every launcher file of a bundle for `target`. */
export function launcherFiles(target: BundleTarget, version: string): LauncherFile[] {
  const resources = target.resourcesPath ? `${target.resourcesPath}/` : "";
  switch (target.platform) {
    case "win32":
      return [
        { path: "portrait-upscale.cmd", text: WINDOWS_COMMAND, mode: 0o755 },
        { path: "Portrait Upscale.vbs", text: WINDOWS_CLICK, mode: 0o755 },
      ];
    case "darwin":
      return [
        { path: `${resources}portrait-upscale`, text: POSIX_COMMAND, mode: 0o755 },
        { path: "Portrait Upscale.app/Contents/MacOS/Portrait Upscale", text: MAC_APP_EXECUTABLE, mode: 0o755 },
        { path: "Portrait Upscale.app/Contents/Info.plist", text: macInfoPlist(version), mode: 0o644 },
      ];
    case "linux":
      return [{ path: "portrait-upscale", text: POSIX_COMMAND, mode: 0o755 }];
  }
}
