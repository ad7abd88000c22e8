import { open, type FileHandle } from 'node:fs/promises';

/** ModelProto fields (onnx.proto): `metadata_props = 14`, a repeated StringStringEntryProto { key = 1; value = 2 }. */
const METADATA_PROPS = 14;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;

/**
 * Reads an ONNX model's `metadata_props` (Ultralytics puts `names`, `imgsz`, `stride`, `task` there).
 * onnxruntime-node does not expose them (no `modelMetadata` in its API), so this walks the model's top-level
 * protobuf fields and seeks past the rest: the graph, which holds the weights, is never read into memory.
 */
export async function readModelMetadata(path: string): Promise<Record<string, string>> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const props: Record<string, string> = {};
    const head = Buffer.alloc(20);
    let position = 0;
    while (position < size) {
      const { bytesRead } = await file.read(head, 0, head.length, position);
      const reader = new VarintReader(head.subarray(0, bytesRead), path, position);
      const tag = reader.varint();
      const field = Math.floor(tag / 8);
      switch (tag % 8) {
        case 0:
          reader.varint();
          position += reader.offset;
          break;
        case 1:
          position += reader.offset + 8;
          break;
        case 5:
          position += reader.offset + 4;
          break;
        case 2: {
          const length = reader.varint();
          position += reader.offset;
          if (field === METADATA_PROPS) {
            const [key, value] = parseEntry(await readExactly(file, position, length, path));
            if (key !== undefined) props[key] = value ?? '';
          }
          position += length;
          break;
        }
        default:
          throw new Error(`${path} is not an ONNX model: wire type ${tag % 8} at byte ${position}`);
      }
    }
    if (position !== size) throw new Error(`${path} is not an ONNX model: its last field runs past the end of the file`);
    return props;
  } finally {
    await file.close();
  }
}

function parseEntry(bytes: Buffer): [string | undefined, string | undefined] {
  let key: string | undefined;
  let value: string | undefined;
  const reader = new VarintReader(bytes, 'metadata entry', 0);
  while (reader.offset < bytes.length) {
    const tag = reader.varint();
    if (tag % 8 !== 2) throw new Error(`malformed ONNX metadata entry: wire type ${tag % 8}`);
    const length = reader.varint();
    const text = bytes.toString('utf8', reader.offset, reader.offset + length);
    reader.offset += length;
    if (Math.floor(tag / 8) === ENTRY_KEY) key = text;
    else if (Math.floor(tag / 8) === ENTRY_VALUE) value = text;
  }
  return [key, value];
}

async function readExactly(file: FileHandle, position: number, length: number, path: string): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, position);
  if (bytesRead !== length) throw new Error(`${path} is not an ONNX model: truncated at byte ${position + bytesRead}`);
  return buffer;
}

/** Protobuf base-128 varints, with arithmetic that stays exact beyond 32 bits (field lengths can pass 2^31). */
class VarintReader {
  offset = 0;

  constructor(
    private readonly bytes: Buffer,
    private readonly what: string,
    private readonly base: number,
  ) {}

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.offset >= this.bytes.length) break;
      const byte = this.bytes[this.offset++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw new Error(`${this.what} is not an ONNX model: bad varint at byte ${this.base + this.offset}`);
  }
}
