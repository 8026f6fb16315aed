/** `portrait-upscale faces INPUT`: the faces the portrait pipeline would protect. */
import { resolve } from "node:path";
import { invalidParameter } from "@portrait-upscale/shared";
import { decodeImage } from "../../image/codec";
import { readInputFile } from "../../image/input-file";
import { createInferencePool } from "../../inference/index";
import { poolDetector } from "../../portrait/detector";
import { detectFaces } from "../../portrait/faces";
import type { CliCommand } from "../command";
import { EXIT_CODES } from "../exit-codes";
import { formatTable, writeJson } from "../output";

export const facesCommand: CliCommand = {
  name: "faces",
  summary: "List the faces found in an image (box, score, six keypoints).",
  usage: ["faces INPUT [--threshold T] [--json]"],
  details: [
    "Coordinates are input pixels, origin top left. Keypoints are named from the subject's",
    "point of view: rightEye is on the image's left. Faces down to about 25 px are found.",
  ].join("\n"),
  allowPositionals: true,
  options: {
    threshold: { type: "string", valueName: "T", description: "Minimum score, 0.5 to 0.99.", default: "0.75" },
    json: { type: "boolean", description: "Print one JSON object with the faces on stdout." },
  },
  async run(context) {
    const [input, ...extra] = context.positionals;
    if (input === undefined) throw invalidParameter("an INPUT file", "faces", undefined);
    if (extra.length > 0) throw invalidParameter("one INPUT file", "faces", context.positionals.join(" "));
    const threshold = Number(context.values.threshold ?? "0.75");
    if (!(threshold >= 0.5 && threshold <= 0.99)) throw invalidParameter("a number from 0.5 to 0.99", "--threshold", context.values.threshold);
    const path = resolve(context.cwd, input);
    const bytes: Uint8Array = await readInputFile(path);
    const { image } = await decodeImage(bytes);
    const pool = createInferencePool();
    try {
      const faces = await detectFaces(image, poolDetector(pool, context.signal), { threshold, signal: context.signal });
      if (context.values.json) {
        // A fringe map holds a value per forehead pixel: its rectangle says where it lies.
        const listed = faces.map(({ fringe, ...face }) => (fringe ? { ...face, fringe: { x: fringe.x, y: fringe.y, width: fringe.width, height: fringe.height } } : face));
        writeJson(context, { input: path, width: image.width, height: image.height, faces: listed });
      } else if (faces.length === 0) {
        context.stdout.write("No face found.\n");
      } else {
        const rows = [["#", "score", "x", "y", "width", "height", "eyes (right, left)"]];
        faces.forEach((face, index) => {
          const k = face.keypoints;
          rows.push([
            String(index + 1),
            face.score.toFixed(3),
            face.box.x.toFixed(0),
            face.box.y.toFixed(0),
            face.box.width.toFixed(0),
            face.box.height.toFixed(0),
            `(${k.rightEye.x.toFixed(0)}, ${k.rightEye.y.toFixed(0)}) (${k.leftEye.x.toFixed(0)}, ${k.leftEye.y.toFixed(0)})`,
          ]);
        });
        context.stdout.write(formatTable(rows));
      }
    } finally {
      await pool.close();
    }
    return EXIT_CODES.ok;
  },
};
