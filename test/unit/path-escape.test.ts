// Paths inside a model file never leave the model's folder: the rule (src/formats/contained-path.ts) and every
// in-process entry point that follows such a path — both readers, both runtimes (the TF.js IOHandler, and the gate
// in front of onnxruntime, which reads external data natively), and the engine's handlers. Each refusal is checked
// against a control that points at a copy of the same bytes inside the folder and does read them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelFolder, pathTextProblem } from '../../src/formats/contained-path';
import { openModel } from '../../src/formats/registry';
import { ModelError } from '../../src/model/errors';
import { computeModelStats } from '../../src/stats';
import { runModel } from '../../src/runtime/run-model';
import { profileOnnx } from '../../src/runtime/backends/onnxruntime/profile';
import { sessionWithOutputs } from '../../src/runtime/backends/onnxruntime/extra-outputs';
import { ModelStore } from '../../src/engine/model-store';
import { engineHandlers } from '../../src/engine/handlers';
import { EngineClient } from '../../src/engine/client';
import { buildEngine, removeBuild } from '../support/build-engine';
import { onnx } from 'onnx-proto';
import { checkOnnxDataPaths } from '../../src/formats/onnx/external-locations';
import { OnnxBuilder, tensor, writeModel } from '../support/onnx-builder';
import {
  SECRET_VALUE, escapingPaths, onnxModelPointingAt, openedPaths, removeTree, tfjsModelPointingAt, writeSecret,
} from '../support/escape-fixtures';

let root: string;
let secret: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'mi-escape-'));
  secret = await writeSecret(root);
});
after(() => removeTree(root));

let seq = 0;
/** `<root>/models/mN`: two levels below root, so "../../elsewhere/secret.bin" reaches the secret. */
async function modelDir(): Promise<string> {
  const d = join(root, 'models', `m${seq++}`);
  await mkdir(d, { recursive: true });
  return d;
}

/** A control model folder: the secret's bytes copied to weights/w.bin, inside the folder. */
async function controlDir(): Promise<string> {
  const d = await modelDir();
  await mkdir(join(d, 'weights'));
  await copyFile(secret, join(d, 'weights', 'w.bin'));
  return d;
}

const FORMATS = {
  tfjs: { make: tfjsModelPointingAt, what: 'weight shard path', owner: '', file: 'model.json' },
  onnx: { make: async (d: string, p: string) => onnxModelPointingAt(d, p), what: 'external data path', owner: " (tensor 'W')", file: 'model.onnx' },
} as const;

/** The one-line refusal: `<file>: <what> "<path>" [(tensor 'W')] leaves the model folder (<why>)`. */
function isRefusal(format: keyof typeof FORMATS, path: string, why: RegExp) {
  const f = FORMATS[format];
  return (e: unknown) => {
    assert.ok(e instanceof ModelError, String(e));
    assert.ok(e.message.startsWith(`${f.file}: ${f.what} ${JSON.stringify(path)}${f.owner} leaves the model folder (`), e.message);
    assert.match(e.message, why);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  };
}

test('the rule on the text: relative paths into the folder or its subfolders pass; every way out is named', () => {
  for (const ok of ['w.bin', 'weights/group1.bin', './w.bin', 'a/../w.bin', 'weights\\g.bin', 'group1-shard1of2.bin', 'my model.bin', '%2e%2e%2fx', '...bin']) {
    assert.equal(pathTextProblem(ok), undefined, ok);
  }
  const bad: [string, RegExp][] = [
    ['../x', /climbs out/], ['a/../../x', /climbs out/], ['..\\x', /climbs out/], ['..', /climbs out/],
    ['/etc/passwd', /absolute/], ['\\x', /absolute/], ['C:\\x', /drive/], ['c:x', /drive/], ['\\\\server\\x', /UNC/],
    ['//server/x', /UNC/], ['file:///etc/passwd', /URL/], ['http://h/x', /URL/], ['a\0b', /NUL/],
  ];
  for (const [p, why] of bad) assert.match(pathTextProblem(p) ?? '', why, p);
});

test('the rule on disk: in-folder symlinks pass, a missing file is missing, a symlink out is an escape even to a missing file', async () => {
  const d = await modelDir();
  await mkdir(join(d, 'weights'));
  await writeFile(join(d, 'weights', 'w.bin'), new Uint8Array(8));
  await symlink(join(d, 'weights', 'w.bin'), join(d, 'in.bin'));
  await symlink(join(d, 'weights'), join(d, 'wdir'));
  await symlink(join(root, 'elsewhere'), join(d, 'out'));
  const f = new ModelFolder(join(d, 'model.json'));
  for (const p of ['weights/w.bin', 'in.bin', 'wdir/w.bin']) {
    const r = await f.locate(p, 'weight shard path');
    assert.equal(r.kind, 'file', p);
    assert.equal(r.kind === 'file' && r.size, 8);
  }
  assert.deepEqual(await f.locate('gone.bin', 'weight shard path'), { kind: 'missing', abs: join(d, 'gone.bin'), code: 'ENOENT' });
  assert.equal((await f.locate('weights/gone/x.bin', 'weight shard path')).kind, 'missing');
  assert.equal((await f.locate('weights', 'weight shard path')).kind, 'not-file');
  for (const p of ['out/secret.bin', 'out/absent.bin', 'out/deeper/absent.bin']) {
    await assert.rejects(f.locate(p, 'weight shard path'), /leaves the model folder \(a symlink takes it outside the folder\)/, p);
  }
});

test('tfjs reader: a percent-encoded way out is refused and the message shows both spellings', async () => {
  const path = await tfjsModelPointingAt(await modelDir(), '..%2F..%2Felsewhere%2Fsecret.bin');
  await assert.rejects(openModel(path), (e: Error) => {
    assert.equal(e.message, `model.json: weight shard path "../../elsewhere/secret.bin" (percent-decoded from "..%2F..%2Felsewhere%2Fsecret.bin") leaves the model folder (it climbs out with '..')`);
    return true;
  });
});

for (const format of ['tfjs', 'onnx'] as const) {
  test(`${format} reader control: the secret's bytes in a subfolder are read (stats show them; the fs spy sees the open)`, async () => {
    const d = await controlDir();
    const path = await FORMATS[format].make(d, 'weights/w.bin');
    const { opened, result } = await openedPaths(async () => {
      const m = await openModel(path);
      try {
        return await computeModelStats(m);
      } finally {
        await m.dispose?.();
      }
    });
    assert.equal(result.status, 'fulfilled', String((result as PromiseRejectedResult).reason));
    const stats = (result as PromiseFulfilledResult<Awaited<ReturnType<typeof computeModelStats>>>).value;
    assert.ok(stats.tensors.some((t) => t.max === SECRET_VALUE), JSON.stringify(stats.tensors.map((t) => t.max)));
    assert.ok(opened.some((p) => p.endsWith(join('weights', 'w.bin'))), opened.join(', '));
  });

  test(`${format} reader: every escaping spelling refuses the model, and only the model file itself is opened`, async () => {
    for (const c of escapingPaths(secret)) {
      const d = await modelDir();
      await c.prepare?.(d);
      const path = await FORMATS[format].make(d, c.path);
      const { opened, result } = await openedPaths(() => openModel(path));
      assert.equal(result.status, 'rejected', c.path);
      isRefusal(format, c.path, c.why)((result as PromiseRejectedResult).reason);
      assert.deepEqual([...new Set(opened)], [path], `${c.path}: opened ${opened.join(', ')}`);
    }
  });
}

test('readers: a weight file swapped for a way out after the model opened is refused at the first read', async () => {
  for (const format of ['tfjs', 'onnx'] as const) {
    for (const swap of ['file', 'folder'] as const) {
      const d = await controlDir();
      const m = await openModel(await FORMATS[format].make(d, 'weights/w.bin'));
      try {
        // Checked at open; now the file (or its folder) becomes a symlink to the secret (or to the folder holding it).
        if (swap === 'file') {
          await rm(join(d, 'weights', 'w.bin'));
          await symlink(secret, join(d, 'weights', 'w.bin'));
        } else {
          await rename(join(d, 'weights'), join(d, 'old'));
          await mkdir(join(root, 'elsewhere', `w${seq}`));
          await copyFile(secret, join(root, 'elsewhere', `w${seq}`, 'w.bin'));
          await symlink(join(root, 'elsewhere', `w${seq}`), join(d, 'weights'));
        }
        const t = m.graph.initializers.find((x) => x.data);
        assert.ok(t, 'a tensor with data');
        await assert.rejects(t.data!.read(0, 4), (e: Error) => e.message === 'w.bin: was replaced after the model was opened; reopen the model to read it', `${format} ${swap}`);
      } finally {
        await m.dispose?.();
      }
    }
  }
});

test('TF.js runtime: the control runs on the secret; every escaping spelling is refused before a shard is opened', async () => {
  const control = await tfjsModelPointingAt(await controlDir(), 'weights/w.bin');
  const spied = await openedPaths(() => runModel(control, { runs: 1, warmup: 0, providers: ['tfjs-cpu'], synth: 'ones' }));
  assert.equal(spied.result.status, 'fulfilled', String((spied.result as PromiseRejectedResult).reason));
  assert.ok(spied.opened.some((p) => p.endsWith(join('weights', 'w.bin'))), spied.opened.join(', '));
  const ok = (spied.result as PromiseFulfilledResult<Awaited<ReturnType<typeof runModel>>>).value;
  // Dense 3→2 with every weight SECRET_VALUE on an all-ones input: 3·S + S per output.
  assert.deepEqual(ok.summary.outputs[0].first, [4 * SECRET_VALUE, 4 * SECRET_VALUE]);
  for (const c of escapingPaths(secret)) {
    const d = await modelDir();
    await c.prepare?.(d);
    const path = await tfjsModelPointingAt(d, c.path);
    const loads: [string, () => Promise<unknown>][] = [['run', () => runModel(path, { runs: 1, providers: ['tfjs-cpu'] })], ['open (explain and gradients start from the opened model)', () => openModel(path)]];
    for (const [name, load] of loads) {
      const { opened, result } = await openedPaths(load);
      assert.equal(result.status, 'rejected', `${name} ${c.path}`);
      isRefusal('tfjs', c.path, c.why)((result as PromiseRejectedResult).reason);
      // Backends load their own files (tfjs' .wasm); of the test's files only model.json may be opened.
      assert.deepEqual([...new Set(opened.filter((p) => p.startsWith(root)))], [path], `${name} ${c.path}: opened ${opened.join(', ')}`);
    }
  }
});

test('onnxruntime gate: run, profiling and extra-output sessions refuse before onnxruntime is handed the file', async () => {
  // onnxruntime 1.30 has a containment check of its own; the message shows that ours ran first (theirs would read
  // "cannot be loaded by onnxruntime (External data path validation failed…)"), and ours also holds for ORT versions
  // and load paths without one.
  const d = await modelDir();
  await symlink(secret, join(d, 'link.bin'));
  const path = onnxModelPointingAt(d, 'link.bin');
  const refusal = isRefusal('onnx', 'link.bin', /a symlink takes it outside/);
  await assert.rejects(runModel(path, { runs: 1, providers: ['cpu'] }), refusal);
  await assert.rejects(profileOnnx(path, 'cpu', new Map([['x', { dtype: 'float32', shape: [1, 8], data: new Float32Array(8) }]]), { runs: 1, optimized: false }), refusal);
  await assert.rejects(sessionWithOutputs(path, 'cpu', ['y']), refusal);
  for (const c of escapingPaths(secret)) {
    const e = await modelDir();
    await c.prepare?.(e);
    await assert.rejects(runModel(onnxModelPointingAt(e, c.path), { runs: 1, providers: ['cpu'] }), isRefusal('onnx', c.path, c.why), c.path);
  }
});

test('onnxruntime gate: locations in subgraphs and attribute tensors are checked too; a subfolder path runs', async () => {
  const control = onnxModelPointingAt(await controlDir(), 'weights/w.bin');
  const ok = await runModel(control, { runs: 1, warmup: 0, providers: ['cpu'], synth: 'zeros' });
  assert.equal(ok.summary.outputs[0].max, SECRET_VALUE);
  const d = await modelDir();
  const hidden = new OnnxBuilder('then').node('Constant', [], ['k'], { value: { ...tensor('k', 'float32', [1], []), externalRef: { location: '../../elsewhere/secret.bin', length: '4' } } })
    .output('k', 'float32', [1]);
  const path = writeModel(d, 'model.onnx', new OnnxBuilder().input('c', 'bool', []).node('If', ['c'], ['o'], { then_branch: hidden, else_branch: hidden }).output('o', 'float32', [1]));
  await assert.rejects(runModel(path, { runs: 1, providers: ['cpu'] }), /model\.onnx: external data path "\.\.\/\.\.\/elsewhere\/secret\.bin" \(tensor 'k'\) leaves the model folder/);
});

test('engine: open refuses an escaping model; a model.json rewritten to escape after open never makes run or explain read outside', async () => {
  const store = new ModelStore();
  const h = engineHandlers({ store, log: () => {}, testHooks: false });
  const ctx = { signal: new AbortController().signal, progress: () => {} };
  const esc = await tfjsModelPointingAt(await modelDir(), '../../elsewhere/secret.bin');
  await assert.rejects(Promise.resolve(h.open!({ path: esc }, ctx)), isRefusal('tfjs', '../../elsewhere/secret.bin', /climbs out/));
  const onnxEsc = onnxModelPointingAt(await modelDir(), '../../elsewhere/secret.bin');
  await assert.rejects(Promise.resolve(h.open!({ path: onnxEsc }, ctx)), isRefusal('onnx', '../../elsewhere/secret.bin', /climbs out/));
  assert.equal(store.openCount, 0);

  // Run and explain build the model from what the reader opened (its checked shards), never from the file again:
  // rewriting model.json after the open changes nothing they read, and nothing outside the folder is opened.
  const d = await controlDir();
  const path = await tfjsModelPointingAt(d, 'weights/w.bin');
  const { modelId } = await h.open!({ path }, ctx);
  await tfjsModelPointingAt(d, '../../elsewhere/secret.bin'); // rewritten in place: a new revision, not reopened
  const calls: [string, () => Promise<unknown>][] = [
    ['run', () => Promise.resolve(h.run!({ modelId, runs: 1, providers: ['tfjs-cpu'] }, ctx))],
    ['vanilla', () => Promise.resolve(h.explain!({ modelId, methods: ['vanilla'], providers: ['tfjs-cpu'] }, ctx))],
    ['occlusion', () => Promise.resolve(h.explain!({ modelId, methods: ['occlusion'], providers: ['tfjs-cpu'] }, ctx))],
  ];
  for (const [name, call] of calls) {
    const { opened, result } = await openedPaths(call);
    assert.equal(result.status, 'fulfilled', `${name}: ${String((result as PromiseRejectedResult).reason)}`);
    const outside = opened.filter((p) => p.startsWith(root) && !p.startsWith(d));
    assert.deepEqual(outside, [], `${name} opened files outside the model folder`);
  }
  await store.closeAll();
});

test('engine process: open over the real fork answers with the one-line refusal (what the Overview shows)', async () => {
  const enginePath = await buildEngine();
  const c = new EngineClient({ enginePath });
  try {
    const esc = onnxModelPointingAt(await modelDir(), '../../elsewhere/secret.bin');
    await assert.rejects(c.call('open', { path: esc }), (e: Error & { code?: string }) => {
      assert.equal(e.message, `model.onnx: external data path "../../elsewhere/secret.bin" (tensor 'W') leaves the model folder (it climbs out with '..')`);
      assert.equal(e.code, 'failed');
      return true;
    });
  } finally {
    c.dispose();
    removeBuild(enginePath);
  }
});

test('onnxruntime gate: the streamed scan finds an external location wherever the 4 MiB read chunks cut it', async () => {
  const d = await modelDir();
  const path = join(d, 'model.onnx');
  const chunk = 4 << 20;
  for (const before of [chunk - 40, chunk - 12, chunk - 8, chunk - 4, chunk - 1, chunk, chunk + 3]) {
    // A doc_string of the right length puts the "location" key's bytes across the chunk edge.
    const model = (pad: number) => onnx.ModelProto.encode(onnx.ModelProto.create({
      irVersion: 8, docString: 'x'.repeat(pad),
      graph: { name: 'g', initializer: [{ name: 'w', dims: [1], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: '../x.bin' }] }] },
    })).finish();
    const at = Buffer.from(model(before)).indexOf('location');
    const bytes = model(Math.max(0, before - (at - before)));
    await writeFile(path, bytes);
    await assert.rejects(checkOnnxDataPaths(path), /external data path "\.\.\/x\.bin" \(tensor 'w'\) leaves the model folder/, `"location" at ${Buffer.from(bytes).indexOf('location')}`);
  }
});
