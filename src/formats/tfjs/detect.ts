// What marks a .json file as a TF.js model, in a module with no dependencies so the extension host can check
// workspace files (Quick Inference's model list) without loading the reader.

/** Top-level keys only TF.js model.json files have (tested on the raw text when the JSON is cut off). */
export const TFJS_MODEL_KEYS = /"(modelTopology|weightsManifest)"\s*:|"format"\s*:\s*"(layers|graph)-model"/;
