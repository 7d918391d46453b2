import { ModelError } from '../../../model/errors';
import { onnxReader } from '../../../formats/onnx/reader';

/**
 * Why onnxruntime could not load a file, in our reader's words when the reader finds the file broken too: ORT says only
 * "Protobuf parsing failed", the reader names the byte where a truncated file ends. Undefined when the reader reads
 * the file (then ORT's own reason is the one that matters).
 */
export async function readerDiagnosis(path: string): Promise<ModelError | undefined> {
  try {
    const model = await onnxReader.open(path);
    await model.dispose?.();
    return undefined;
  } catch (e) {
    return e instanceof ModelError ? e : undefined;
  }
}
