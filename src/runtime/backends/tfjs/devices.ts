import { BACKEND_DEVICES } from '../../../protocol/devices';

/** TF.js backends, in the default preference: native TensorFlow (optional package), WebAssembly, plain JavaScript. */
export const TFJS_BACKENDS = BACKEND_DEVICES.tfjs;
