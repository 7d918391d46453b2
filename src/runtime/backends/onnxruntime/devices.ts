import { BACKEND_DEVICES } from '../../../protocol/devices';

/** ONNX Runtime execution providers users can name, in the default preference (no native load here). */
export const ORT_PROVIDERS = BACKEND_DEVICES.onnxruntime;
