// Injected into the CJS bundles (scripts/build.mjs): bundled ESM dependencies read `import.meta.url` (h5wasm's
// emscripten module calls createRequire(import.meta.url)), which CJS output has no value for.
export const __mi_import_meta_url = require('node:url').pathToFileURL(__filename).href;
