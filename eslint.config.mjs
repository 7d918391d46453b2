// Layering is enforced here, not by convention: each zone lists what it may not import.
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['fs', 'path', 'os', 'child_process', 'worker_threads', 'crypto', 'stream', 'util', 'events', 'zlib', 'url', 'net', 'http', 'https']
  .flatMap((m) => [m, `node:${m}`, `${m}/*`, `node:${m}/*`]);
const native = ['onnxruntime-node', 'onnxruntime-common', '@tensorflow/*', 'sharp', 'node-llama-cpp', '@node-llama-cpp/*'];

const zone = (files, patterns, message) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }],
  },
});

export default tseslint.config(
  { ignores: ['dist/**', 'dist-test/**', 'dist-vsix/**', 'node_modules/**', '.e2e/**', 'test/e2e/node_modules/**', 'media/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  // Nothing outside src/host may touch the VS Code API.
  zone(['src/**/*.ts', 'webview/**/*.ts', 'test/unit/**/*.ts', 'test/browser/**/*.ts', 'scripts/**/*.ts'].map((f) => f), ['vscode'],
    'Only src/host/ may import vscode.'),
  { files: ['src/host/**/*.ts', 'test/e2e/**/*.ts'], rules: { 'no-restricted-imports': 'off' } },
  // The IR imports nothing but itself.
  zone(['src/model/**/*.ts'], ['vscode', '../*', '!./*', ...nodeBuiltins, ...native, 'onnx-proto', 'protobufjs'],
    'src/model is the IR: it imports nothing outside src/model.'),
  // Protocol is shared with the browser: no Node, no native, no vscode; only IR types.
  zone(['src/protocol/**/*.ts'], ['vscode', ...nodeBuiltins, ...native, '../formats/*', '../engine/*', '../host/*', '../runtime/*', '../stats/*', '../explain/*', '../compare/*', '../cli/*'],
    'src/protocol runs in the webview too: only IR types and itself.'),
  // Formats and stats are pure readers/computations: no runtimes, no engine, no host.
  zone(['src/formats/**/*.ts', 'src/stats/**/*.ts'], ['vscode', ...native.filter((n) => n !== '@tensorflow/*'), '**/engine/*', '**/host/*', '**/runtime/*', '**/explain/*'],
    'Readers and stats build on the IR only; runtimes live in src/runtime.'),
  // Only src/runtime (and src/explain through it) loads native runtimes.
  zone(['src/engine/**/*.ts', 'src/cli.ts'], ['vscode', ...native, '**/host/*'],
    'The engine reaches runtimes through src/runtime, never directly, and never the host.'),
  // Compare builds on readers and runtimes like explain: never the host, the engine process or the CLI; native
  // runtimes only through src/runtime.
  zone(['src/compare/**/*.ts'], ['vscode', ...native, '**/host/*', '**/engine/*', '**/cli/*'],
    'src/compare reaches runtimes through src/runtime and never imports the host, engine or CLI.'),
  // The CLI is a front end like the host: it drives src/engine's code in-process, never the host or native runtimes directly.
  zone(['src/cli/**/*.ts'], ['vscode', ...native, '**/host/*'],
    'src/cli never imports the host or a native runtime (those go through src/runtime).'),
  // The webview runs in a browser: no Node, no native, nothing from the engine side except protocol and IR types.
  zone(['webview/**/*.ts'], ['vscode', ...nodeBuiltins, ...native, '**/src/formats/*', '**/src/engine/*', '**/src/host/*', '**/src/runtime/*', '**/src/stats/*', '**/src/explain/*', '**/src/compare/*', '**/src/cli', '**/src/cli/*'],
    'webview/ imports only src/protocol and src/model types.'),
  // The webview may use the IR's shapes, not its code: src/model only through `import type`.
  {
    files: ['webview/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: ['**/src/model/*', '**/src/model'], allowTypeImports: true, message: 'webview/ imports IR types only (import type).' }] }],
    },
  },
);
