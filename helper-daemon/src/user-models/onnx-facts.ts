/**
 * The facts a brought model is checked on before it is run: its opset and its graph's
 * inputs and outputs (element type and shape), read from the ONNX file's protobuf.
 * A reader of these few fields of ModelProto is small; onnxruntime does not report the opset,
 * and a general protobuf library would need the ONNX schema compiled in for the same answer.
 */

/** A dimension: a fixed size, or the name of a free one (e.g. "height"), or null when unset. */
export type OnnxDim = number | string | null;

/** A graph input or output. */
export interface OnnxTensorFacts {
  readonly name: string;
  /** ONNX TensorProto.DataType: 1 float, 10 float16, … */
  readonly elementType: number;
  readonly shape: readonly OnnxDim[];
}

/** What the file declares. */
export interface OnnxFacts {
  /** The default ("" or "ai.onnx") domain's opset version. */
  readonly opset: number | undefined;
  readonly inputs: readonly OnnxTensorFacts[];
  readonly outputs: readonly OnnxTensorFacts[];
}

/** ONNX TensorProto.DataType FLOAT. */
export const ONNX_FLOAT = 1;

/** One protobuf field: its number, and its value (a varint, or the bytes of a length-delimited field). */
type Field = { readonly number: number; readonly varint: bigint } | { readonly number: number; readonly bytes: Uint8Array };

function* fields(buffer: Uint8Array): Generator<Field> {
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (at >= buffer.length) throw new Error("truncated varint");
      const byte = buffer[at++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new Error("varint too long");
    }
  };
  while (at < buffer.length) {
    const key = Number(varint());
    const number = key >>> 3;
    switch (key & 7) {
      case 0:
        yield { number, varint: varint() };
        break;
      case 1:
        at += 8;
        break;
      case 2: {
        const length = Number(varint());
        if (at + length > buffer.length) throw new Error("truncated field");
        yield { number, bytes: buffer.subarray(at, at + length) };
        at += length;
        break;
      }
      case 5:
        at += 4;
        break;
      default:
        throw new Error(`unsupported wire type ${key & 7}`);
    }
  }
  if (at !== buffer.length) throw new Error("truncated message");
}

const text = new TextDecoder();

function bytesOf(field: Field): Uint8Array | undefined {
  return "bytes" in field ? field.bytes : undefined;
}

function valueInfo(bytes: Uint8Array): OnnxTensorFacts {
  let name = "";
  let elementType = 0;
  const shape: OnnxDim[] = [];
  for (const f of fields(bytes)) {
    const b = bytesOf(f);
    if (f.number === 1 && b) name = text.decode(b);
    if (f.number !== 2 || !b) continue;
    // TypeProto.tensor_type (1) → elem_type (1), shape (2) → dim (1) → dim_value (1) | dim_param (2)
    for (const t of fields(b)) {
      const tensor = bytesOf(t);
      if (t.number !== 1 || !tensor) continue;
      for (const tf of fields(tensor)) {
        if (tf.number === 1 && "varint" in tf) elementType = Number(tf.varint);
        const shapeBytes = bytesOf(tf);
        if (tf.number !== 2 || !shapeBytes) continue;
        for (const d of fields(shapeBytes)) {
          const dim = bytesOf(d);
          if (d.number !== 1 || !dim) continue;
          let value: OnnxDim = null;
          for (const df of fields(dim)) {
            if (df.number === 1 && "varint" in df) value = Number(df.varint);
            const param = bytesOf(df);
            if (df.number === 2 && param) value = text.decode(param);
          }
          shape.push(value);
        }
      }
    }
  }
  return { name, elementType, shape };
}

/**
 * Reads the opset and the graph's inputs (initializers excluded) and outputs.
 * Throws an Error with a short reason when the bytes are not an ONNX model.
 *
 * @example onnxFacts(await readFile("model.onnx")).opset // 17
 */
export function onnxFacts(model: Uint8Array): OnnxFacts {
  let opset: number | undefined;
  let graph: Uint8Array | undefined;
  for (const f of fields(model)) {
    const b = bytesOf(f);
    if (f.number === 7 && b) graph = b;
    if (f.number === 8 && b) {
      let domain = "";
      let version: number | undefined;
      for (const o of fields(b)) {
        const d = bytesOf(o);
        if (o.number === 1 && d) domain = text.decode(d);
        if (o.number === 2 && "varint" in o) version = Number(o.varint);
      }
      if (domain === "" || domain === "ai.onnx") opset = version;
    }
  }
  if (!graph) throw new Error("no graph (not an ONNX model)");
  const inputs: OnnxTensorFacts[] = [];
  const outputs: OnnxTensorFacts[] = [];
  const initializers = new Set<string>();
  for (const f of fields(graph)) {
    const b = bytesOf(f);
    if (!b) continue;
    if (f.number === 11) inputs.push(valueInfo(b));
    if (f.number === 12) outputs.push(valueInfo(b));
    if (f.number === 5) for (const t of fields(b)) if (t.number === 8 && "bytes" in t) initializers.add(text.decode(t.bytes));
  }
  return { opset, inputs: inputs.filter((input) => !initializers.has(input.name)), outputs };
}
