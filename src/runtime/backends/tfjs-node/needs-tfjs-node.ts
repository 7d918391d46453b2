/** What users read when a TF SavedModel is to run where @tensorflow/tfjs-node is not installed. */
export const NEEDS_TFJS_NODE = 'running a TF SavedModel needs @tensorflow/tfjs-node (native TensorFlow), which is not installed; '
  + 'install it next to the extension (see the README), or convert the model to ONNX or TF.js. It can still be inspected.';

/** Whether @tensorflow/tfjs-node can be loaded here (resolved, not loaded: loading it starts native TensorFlow). */
export function tfjsNodeInstalled(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}
