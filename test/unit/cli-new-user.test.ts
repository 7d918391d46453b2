// What a new user meets first (issue 15): the README's saliency line on the TF.js shapes model with the NCHW example
// arrays, saliency without --input, inputs of the wrong shape, and a truncated .onnx through run/saliency and the
// engine. The bundled CLI runs in a child process on the real examples; the engine over the real fork.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCli, buildEngine, removeBuild } from '../support/build-engine';
import { EngineClient } from '../../src/engine/client';
import { encodeNpy, parseNpy } from '../../src/formats/arrays/npy';
import { fitArrayToInput } from '../../src/runtime/fit-input';
import { ModelError } from '../../src/model/errors';

const examples = join(__dirname, '../../examples');
const tfjsShapes = join(examples, 'shapes/tfjs/model.json');
const onnxShapes = join(examples, 'shapes/model.onnx');
const square = join(examples, 'shapes/square.npy');
let cli: string;
let engine: string;
let tmp: string;

before(async () => {
  [cli, engine] = await Promise.all([buildCli(), buildEngine()]);
  tmp = mkdtempSync(join(tmpdir(), 'mi-new-user-'));
});
after(() => {
  removeBuild(cli);
  removeBuild(engine);
  rmSync(tmp, { recursive: true, force: true });
});

const cliRun = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
/** The project's rule for every error a user sees: one line, "<file>: <problem>", no "internal error", no trace. */
const userError = (r: ReturnType<typeof cliRun>, file: RegExp) => {
  assert.equal(r.status, 1, r.stdout + r.stderr);
  const { error } = JSON.parse(r.stdout) as { error: string };
  assert.match(error, file);
  assert.doesNotMatch(error, /internal error/i);
  assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at /);
  return error;
};

test('fitArrayToInput lays NCHW out as NHWC (and back) element by element, refuses what fits neither', () => {
  // 1×2×2×3 NCHW with values naming their (c, h, w): 100c + 10h + w.
  const nchw = new Float32Array(12);
  for (let c = 0; c < 3; c++) for (let h = 0; h < 2; h++) for (let w = 0; w < 2; w++) nchw[c * 4 + h * 2 + w] = 100 * c + 10 * h + w;
  const a = { dtype: 'float32' as const, shape: [1, 3, 2, 2], data: nchw };
  const r = fitArrayToInput(a, [null, 2, 2, 3], 'x', 'a.npy');
  assert.deepEqual(r.array.shape, [1, 2, 2, 3]);
  const got = Array.from(r.array.data as Float32Array);
  const want: number[] = [];
  for (let h = 0; h < 2; h++) for (let w = 0; w < 2; w++) for (let c = 0; c < 3; c++) want.push(100 * c + 10 * h + w);
  assert.deepEqual(got, want);
  assert.match(r.note!, /a\.npy holds \[1, 3, 2, 2\] \(NCHW\); laid out as \[1, 2, 2, 3\] \(NHWC\)/);
  const back = fitArrayToInput(r.array, ['N', 3, 2, 2], 'x', 'b.npy');
  assert.deepEqual(Array.from(back.array.data as Float32Array), Array.from(nchw));
  assert.match(back.note!, /\(NHWC\); laid out as .* \(NCHW\)/);
  // A fitting array is passed through untouched and without a note.
  assert.equal(fitArrayToInput(a, ['N', 3, 2, 2], 'x', 'a.npy').array, a);
  assert.equal(fitArrayToInput(a, ['N', 3, 2, 2], 'x', 'a.npy').note, undefined);
  assert.throws(() => fitArrayToInput(a, [null, 5, 5, 3], 'x', 'a.npy'), (e) => e instanceof ModelError && /a\.npy: has shape \[1, 3, 2, 2\], but model input "x" wants \[\?, 5, 5, 3\]/.test(e.message));
  assert.throws(() => fitArrayToInput(a, [null, 12], 'x', 'a.npy'), ModelError);
});

test('README saliency line on the TF.js shapes model with the NCHW example array: runs, says it laid the array out, same map as an NHWC file', () => {
  const r = cliRun('saliency', tfjsShapes, '--input', square, '--method', 'vanilla', '--json', '--out', join(tmp, 'a.npy'));
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.target, 0, 'the square is class 0 in labels.txt');
  assert.deepEqual(j.shape, [32, 32]);
  assert.equal(j.notes.length, 1);
  assert.match(j.notes[0], /square\.npy holds \[1, 1, 32, 32\] \(NCHW\); laid out as \[1, 32, 32, 1\] \(NHWC\)/);
  assert.deepEqual(j.inputs[0].shape, [1, 32, 32, 1]);
  // The same values saved NHWC: no note, and the very same map.
  const a = parseNpy(square, readFileSync(square));
  const nhwc = join(tmp, 'square-nhwc.npy');
  writeFileSync(nhwc, encodeNpy({ dtype: a.dtype, shape: [1, 32, 32, 1], data: a.data }));
  const r2 = cliRun('saliency', tfjsShapes, '--input', nhwc, '--method', 'vanilla', '--json', '--out', join(tmp, 'b.npy'));
  assert.equal(r2.status, 0, r2.stdout + r2.stderr);
  assert.deepEqual(JSON.parse(r2.stdout).notes, []);
  assert.deepEqual(readFileSync(join(tmp, 'a.npy')), readFileSync(join(tmp, 'b.npy')));
  // Text output says it too.
  const t = cliRun('saliency', tfjsShapes, '--input', square, '--method', 'vanilla');
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /^note: input "image": .*square\.npy holds \[1, 1, 32, 32\] \(NCHW\)/m);
  const run = cliRun('run', tfjsShapes, '--input', square);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^note: input "image": .*\(NCHW\); laid out as \[1, 32, 32, 1\] \(NHWC\)/m);
  assert.match(run.stdout, /top-3 \(softmax\): square /);
});

test('the shipped NHWC example inputs fit the TF.js shapes model as they are and hold the NCHW examples\' images', () => {
  for (const shape of ['square', 'cross', 'circle']) {
    const own = cliRun('run', tfjsShapes, '--input', join(examples, 'shapes/tfjs', `${shape}.npy`), '--runs', '1', '--json');
    const laidOut = cliRun('run', tfjsShapes, '--input', join(examples, 'shapes', `${shape}.npy`), '--runs', '1', '--json');
    assert.equal(own.status, 0, own.stderr);
    const [a, b] = [JSON.parse(own.stdout), JSON.parse(laidOut.stdout)];
    assert.equal(a.inputs[0].note, undefined);
    assert.match(b.inputs[0].note, /NCHW/);
    assert.deepEqual(a.outputs[0].first, b.outputs[0].first, shape);
  }
});

test('saliency without --input says, in JSON and text, that the input was synthesized', () => {
  const r = cliRun('saliency', onnxShapes, '--method', 'occlusion', '--json');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.inputs[0].synthesized, true);
  assert.match(j.notes[0], /input "image" was synthesized \(normal\(seed 0\)\): no --input fed it/);
  const t = cliRun('saliency', onnxShapes, '--method', 'occlusion');
  assert.match(t.stdout, /^note: input "image" was synthesized/m);
  const withInput = cliRun('saliency', onnxShapes, '--method', 'occlusion', '--input', square, '--json');
  assert.deepEqual(JSON.parse(withInput.stdout).notes, []);
  assert.equal(JSON.parse(withInput.stdout).inputs[0].synthesized, undefined);
  assert.match(cliRun('saliency', '--help').stdout, /saliency <model> \[--input file\.npy\|image\] --method/);
});

test('inputs that fit no layout: every verb that feeds them names the file, never "internal error"', () => {
  const small = join(tmp, 'small.npy');
  writeFileSync(small, encodeNpy({ dtype: 'float32', shape: [1, 1, 8, 8], data: new Float32Array(64) }));
  for (const model of [tfjsShapes, onnxShapes]) {
    for (const verb of [['run'], ['saliency', '--method', 'vanilla'], ['saliency', '--method', 'occlusion']]) {
      const e = userError(cliRun(verb[0], model, '--input', small, ...verb.slice(1), '--json'), /^small\.npy: /);
      assert.match(e, /has shape \[1, 1, 8, 8\], but model input "image" wants \[\?|N, /);
    }
  }
});

test('method failures and unwritable outputs are "<file>: <problem>" too, in JSON and on stderr', () => {
  const mlp = join(examples, 'tiny-mlp-tfjs/model.json');
  assert.equal(userError(cliRun('saliency', mlp, '--method', 'gradcam', '--json'), /^model\.json: /), 'model.json: Grad-CAM needs an image input');
  const text = cliRun('saliency', mlp, '--method', 'gradcam');
  assert.equal(text.status, 1);
  assert.equal(text.stderr, 'model-inspector: model.json: Grad-CAM needs an image input\n');
  const notADir = join(tmp, 'plain-file');
  writeFileSync(notADir, 'x');
  assert.match(userError(cliRun('run', onnxShapes, '--runs', '1', '--save-outputs', notADir, '--json'), /^plain-file: /), /^plain-file: cannot be written \((EEXIST|ENOTDIR)\)$/);
  assert.match(userError(cliRun('saliency', onnxShapes, '--method', 'occlusion', '--out', join(notADir, 'map.npy'), '--json'), /^map\.npy: /), /^map\.npy: cannot be written \(ENOTDIR\)$/);
});

test('a truncated .onnx: run and saliency give the reader\'s diagnosis (the byte where the data ends), as inspect does', () => {
  const cut = join(tmp, 'cut.onnx');
  writeFileSync(cut, readFileSync(join(examples, 'tiny-cnn.onnx')).subarray(0, 1500));
  const inspect = userError(cliRun('inspect', cut, '--json'), /^cut\.onnx: /);
  assert.match(inspect, /data ends at byte 1500/);
  assert.equal(userError(cliRun('run', cut, '--json'), /^cut\.onnx: /), inspect);
  assert.equal(userError(cliRun('saliency', cut, '--method', 'occlusion', '--json'), /^cut\.onnx: /), inspect);
  assert.equal(userError(cliRun('saliency', cut, '--method', 'vanilla', '--json'), /^cut\.onnx: /), inspect);
  assert.equal(userError(cliRun('stats', cut, '--json'), /^cut\.onnx: /), inspect);
});

test('engine: a model truncated after it was opened fails run and explain with the reader\'s diagnosis', async () => {
  const file = join(tmp, 'later-cut.onnx');
  copyFileSync(join(examples, 'tiny-cnn.onnx'), file);
  const c = new EngineClient({ enginePath: engine });
  try {
    const { modelId } = await c.call('open', { path: file });
    writeFileSync(file, readFileSync(join(examples, 'tiny-cnn.onnx')).subarray(0, 1500));
    await assert.rejects(c.call('run', { modelId, runs: 1, providers: ['cpu'] }), (e: Error) => {
      assert.match(e.message, /^later-cut\.onnx: is not a valid ONNX file \(truncated or corrupt protobuf: .* data ends at byte 1500\)/);
      return true;
    });
    await assert.rejects(c.call('explain', { modelId, methods: ['occlusion'], providers: ['cpu'] }), (e: Error) => /^later-cut\.onnx: .*data ends at byte 1500\)$/.test(e.message));
  } finally {
    c.dispose();
  }
});
