// Models whose weight paths (TF.js shards, ONNX external data) point at a "secret" file outside their folder, for the
// tests of the folder rule (src/formats/contained-path.ts). The secret holds one distinctive value, so a test can
// tell whether its bytes reached any output; each fixture also has a control that points at a copy INSIDE the
// folder, to show that the same model reads those bytes when it is allowed to.
// The module objects themselves (not a namespace copy): the spy below swaps their functions.
import fs from 'node:fs';
import { mkdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OnnxBuilder, writeModel } from './onnx-builder';
import { saveLayersModel, tf, tfReady } from './tfjs-fixtures';

/** Every float32 of the secret file; it shows up in stats and outputs when the bytes are read. */
export const SECRET_VALUE = 4242.5;
/** float32 values the fixtures' weights need: TF.js Dense 3→2 (kernel 6 + bias 2), ONNX W [1, 8]. */
export const SECRET_FLOATS = 8;

export function secretBytes(): Uint8Array {
  return new Uint8Array(new Float32Array(SECRET_FLOATS).fill(SECRET_VALUE).buffer);
}

/** `<root>/elsewhere/secret.bin`, outside every model folder made under `<root>/models/`. */
export async function writeSecret(root: string): Promise<string> {
  await mkdir(join(root, 'elsewhere'), { recursive: true });
  const p = join(root, 'elsewhere', 'secret.bin');
  await writeFile(p, secretBytes());
  return p;
}

/** A TF.js Layers model (Dense 3→2) in `dir` whose only shard path is `shardPath`; its own shard file is removed. */
export async function tfjsModelPointingAt(dir: string, shardPath: string): Promise<string> {
  await tfReady();
  await mkdir(dir, { recursive: true });
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
  const { jsonPath, shards } = await saveLayersModel(m, dir);
  m.dispose();
  for (const s of shards) await unlink(join(dir, s));
  const json = JSON.parse(await readFile(jsonPath, 'utf8')) as { weightsManifest: { paths: string[] }[] };
  json.weightsManifest[0].paths = [shardPath];
  await writeFile(jsonPath, JSON.stringify(json));
  return jsonPath;
}

/** An ONNX model in `dir` (y = x + W, x and W [1, 8] float32) whose W is external data at `location`. */
export function onnxModelPointingAt(dir: string, location: string): string {
  return writeModel(dir, 'model.onnx', new OnnxBuilder()
    .initializer('W', 'float32', [1, SECRET_FLOATS], [], { externalRef: { location, offset: '0', length: String(SECRET_FLOATS * 4) } })
    .input('x', 'float32', [1, SECRET_FLOATS]).node('Add', ['x', 'W'], ['y']).output('y', 'float32', [1, SECRET_FLOATS]));
}

/**
 * The spellings of "the secret" a hostile model can use, each with the reason the refusal gives. `prepare` makes
 * whatever the spelling needs inside the model folder (a symlink); `secret` is the secret's absolute path.
 */
export function escapingPaths(secret: string): { path: string; why: RegExp; prepare?: (dir: string) => Promise<void> }[] {
  return [
    { path: '../../elsewhere/secret.bin', why: /it climbs out with '\.\.'/ },
    { path: 'weights/../../../elsewhere/secret.bin', why: /it climbs out with '\.\.'/ },
    { path: '..\\..\\elsewhere\\secret.bin', why: /it climbs out with '\.\.'/ },
    { path: secret, why: /it is absolute/ },
    { path: `file://${secret}`, why: /it is a URL/ },
    { path: 'C:\\elsewhere\\secret.bin', why: /Windows drive/ },
    { path: '\\\\server\\share\\secret.bin', why: /UNC/ },
    { path: 'secret.bin\u0000.png', why: /NUL byte/ },
    { path: 'link.bin', why: /a symlink takes it outside/, prepare: (dir) => fs.promises.symlink(secret, join(dir, 'link.bin')) },
    {
      path: 'sub/secret.bin', why: /a symlink takes it outside/,
      prepare: (dir) => fs.promises.symlink(join(secret, '..'), join(dir, 'sub')),
    },
  ];
}

/** Records the path of every file opened through node:fs while `body` runs (JS reads only; onnxruntime reads natively). */
export async function openedPaths<T>(body: () => Promise<T>): Promise<{ opened: string[]; result: PromiseSettledResult<T> }> {
  const opened: string[] = [];
  const fsp = fs.promises as unknown as Record<string, (...a: unknown[]) => unknown>;
  const sync = fs as unknown as Record<string, (...a: unknown[]) => unknown>;
  const patched: [Record<string, (...a: unknown[]) => unknown>, string, (...a: unknown[]) => unknown][] = [];
  const spy = (obj: Record<string, (...a: unknown[]) => unknown>, name: string) => {
    const orig = obj[name];
    patched.push([obj, name, orig]);
    obj[name] = function (this: unknown, ...args: unknown[]) {
      if (typeof args[0] === 'string' || args[0] instanceof URL || Buffer.isBuffer(args[0])) opened.push(String(args[0]));
      return orig.apply(this, args);
    };
  };
  for (const n of ['open', 'readFile', 'opendir']) spy(fsp, n);
  for (const n of ['open', 'openSync', 'readFile', 'readFileSync', 'createReadStream']) spy(sync, n);
  try {
    const result = await Promise.allSettled([body()]);
    return { opened, result: result[0] };
  } finally {
    for (const [obj, name, orig] of patched) obj[name] = orig;
  }
}

export async function removeTree(p: string): Promise<void> {
  await rm(p, { recursive: true, force: true });
}
