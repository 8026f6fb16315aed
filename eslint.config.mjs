// The repository's boundaries as lint rules, tests included (docs/architecture.md):
// - shared/ and plugin-uxp/ run in UXP and browsers: no Node built-ins, no native packages;
// - only helper-daemon/src/inference/ loads onnxruntime-node;
// - packages reach each other by package name, never by a relative path into another folder;
// - named exports only.
import { createNodeResolver, importX } from "eslint-plugin-import-x";
import tseslint from "typescript-eslint";

const NATIVE_PACKAGES = ["sharp", "onnxruntime-node", "ws", "bufferutil"];

/** onnxruntime-node from anywhere but the inference module. */
const onnxruntimeOutsideInference = {
  name: "onnxruntime-node",
  message: "Only helper-daemon/src/inference/ loads onnxruntime-node; use its exports.",
};

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/dist/**", "models/cache/**", ".cache/**", "gimp-bridge/**"] },
  {
    files: ["**/*.{ts,tsx,mts,js,mjs}"],
    languageOptions: { parser: tseslint.parser, ecmaVersion: "latest", sourceType: "module" },
    // typescript-eslint's plugin is registered so disable comments naming its rules resolve.
    plugins: { "import-x": importX, "@typescript-eslint": tseslint.plugin },
    settings: {
      "import-x/resolver-next": [createNodeResolver({ extensions: [".ts", ".tsx", ".mts", ".js", ".mjs", ".json"] })],
    },
    // Some files carry disable comments for typescript-eslint rules this config does not turn on.
    linterOptions: { reportUnusedDisableDirectives: "off" },
    rules: {
      "import-x/no-relative-packages": "error",
      "import-x/no-default-export": "error",
      "no-restricted-imports": ["error", { paths: [onnxruntimeOutsideInference] }],
    },
  },
  {
    // Code that runs inside Photoshop (UXP) or a browser, and the protocol both ends share.
    files: ["shared/src/**", "plugin-uxp/src/**", "plugin-uxp/harness/**"],
    ignores: ["**/*.test.{ts,tsx}"],
    rules: {
      "import-x/no-nodejs-modules": "error",
      "no-restricted-imports": [
        "error",
        { paths: NATIVE_PACKAGES.map((name) => ({ name, message: "Native packages stay in the daemon; UXP cannot load them." })) },
      ],
    },
  },
  {
    // The inference module itself; the converters' tests, which check the converted files with
    // the runtime they are made for (the models package cannot depend on the daemon); and the
    // stage tests that run a model in-process to test one pipeline stage without worker threads.
    files: [
      "helper-daemon/src/inference/**",
      "models/test/**",
      "helper-daemon/test/portrait/faces.test.ts",
      "helper-daemon/test/portrait/mesh.test.ts",
      "helper-daemon/test/portrait/matte.test.ts",
      "helper-daemon/test/portrait/pipeline.test.ts",
      "helper-daemon/test/review/end-to-end.test.ts",
      "helper-daemon/test/review/advice-followed.test.ts",
      "helper-daemon/test/review/calibration.test.ts",
      "helper-daemon/test/portrait/small-face.test.ts",
      "helper-daemon/test/portrait/routed-branches.test.ts",
      "helper-daemon/test/portrait/texture-agreement-models.test.ts",
      "helper-daemon/test/portrait/fringe.test.ts",
    ],
    rules: { "no-restricted-imports": "off" },
  },
  {
    // Tools fix the shape of their config files: a default export.
    files: ["eslint.config.mjs", "vitest.config.ts"],
    rules: { "import-x/no-default-export": "off" },
  },
);
