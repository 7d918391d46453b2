/** ONNX Runtime execution providers users can name, in the default preference (defined here only; no native load). */
export const ORT_PROVIDERS = ['webgpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'cpu'] as const;
