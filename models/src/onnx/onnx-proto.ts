/**
 * The ONNX message types, read with protobufjs from the published `onnx.proto`
 * (vendored in `models/proto/`, proto2 syntax, so every field a converter sets is written).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import protobuf from "protobufjs";
import { repositoryRoot } from "../paths";

/**
 * Repeated numbers written packed, as proto3 does and as the converted files whose sha256 the
 * manifest pins have always been written; proto2 readers (onnxruntime) accept either form.
 */
const PACKED_FIELDS: readonly (readonly [string, string])[] = [
  ["TensorProto", "dims"],
  ["AttributeProto", "floats"],
  ["AttributeProto", "ints"],
];

let modelProto: protobuf.Type | undefined;

/** `onnx.ModelProto`, loaded once. */
export function onnxModelProto(): protobuf.Type {
  if (modelProto === undefined) {
    const { root } = protobuf.parse(readFileSync(join(repositoryRoot(), "models", "proto", "onnx.proto"), "utf8"));
    for (const [type, field] of PACKED_FIELDS) root.lookupType(`onnx.${type}`).fields[field].setOption("packed", true);
    root.resolveAll();
    modelProto = root.lookupType("onnx.ModelProto");
  }
  return modelProto;
}
