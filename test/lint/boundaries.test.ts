/**
 * The boundary rules in eslint.config.mjs fire where they should: each case lints a line of code
 * as if it stood in a given file of the repository and expects exactly the named rule.
 */
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";
import { repositoryRoot } from "@portrait-upscale/models";

const eslint = new ESLint({ cwd: repositoryRoot() });

async function rulesHit(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.map((message) => message.ruleId ?? message.message);
}

describe("boundary lint", () => {
  it.each([
    ["shared/src/x.ts", 'import { readFile } from "node:fs/promises";\nexport const x = readFile;', "import-x/no-nodejs-modules"],
    ["plugin-uxp/src/ui/x.tsx", 'import { join } from "path";\nexport const x = join;', "import-x/no-nodejs-modules"],
    ["plugin-uxp/src/ui/x.ts", 'import sharp from "sharp";\nexport const x = sharp;', "no-restricted-imports"],
    ["helper-daemon/src/portrait/x.ts", 'import * as ort from "onnxruntime-node";\nexport const x = ort;', "no-restricted-imports"],
    ["helper-daemon/test/x.test.ts", 'import * as ort from "onnxruntime-node";\nexport const x = ort;', "no-restricted-imports"],
    ["plugin-uxp/src/x.test.ts", 'import { parseConfig } from "../../helper-daemon/src/config/config";\nexport const x = parseConfig;', "import-x/no-relative-packages"],
    ["helper-daemon/src/x.ts", "export default 1;", "import-x/no-default-export"],
  ])("%s: %s is refused", async (file, code, rule) => {
    expect(await rulesHit(file, code)).toEqual([rule]);
  });

  it.each([
    ["helper-daemon/src/inference/x.ts", 'import * as ort from "onnxruntime-node";\nexport const x = ort;'],
    ["plugin-uxp/src/x.test.ts", 'import { parseConfig } from "portrait-upscale/src/config/config";\nexport const x = parseConfig;'],
    ["plugin-uxp/src/x.test.ts", 'import { readFileSync } from "node:fs";\nexport const x = readFileSync;'],
    ["helper-daemon/src/x.ts", 'import { readFileSync } from "node:fs";\nexport const x = readFileSync;'],
  ])("%s: %s is allowed", async (file, code) => {
    expect(await rulesHit(file, code)).toEqual([]);
  });
});
