// The `saliency` CLI verb on the shipped example model: its --json contract and the .npy map it writes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../support/tfjs-fixtures';
import { encodeNpy, parseNpy } from '../../src/formats/arrays/npy';
import { CLASSES, SIZE } from '../../examples/shapes-data';
import { openModel } from '../../src/formats/registry';
import { explainModel } from '../../src/explain/explain';
import { OPTION_METHODS } from '../../src/cli/saliency';
import { buildCli, removeBuild } from '../support/build-engine';

const ROOT = join(__dirname, '../..');
const MODEL = join(ROOT, 'examples/shapes/model.onnx');
// The bundled CLI (the run's shared bundle under scripts/run-unit-tests.mjs): starting it costs a fraction of going
// through tsx, and this file starts it a dozen times.
let bundle = '';
before(async () => {
  bundle = await buildCli();
});
after(() => removeBuild(bundle));
const cli = (args: string[]) => execFileSync(process.execPath, [bundle, 'saliency', ...args], { cwd: ROOT, encoding: 'utf8' });

const CROSS = join(ROOT, 'examples/shapes/cross.npy'); // a held-back image (train-example.ts writes it)

test('saliency --json --out: JSON contract, and the .npy is the float32 H×W map the library computes', async () => {
  const { dir, cleanup } = await tempDir('saliency-cli-');
  try {
    const out = join(dir, 'map.npy');
    const json = JSON.parse(cli([MODEL, '--input', CROSS, '--method', 'occlusion', '--out', out, '--json']));
    // The public fields, plus what was fed (added for issue 15): the input file, with no note since it fits.
    assert.deepEqual(Object.keys(json).sort(), ['deletionAuc', 'inputs', 'insertionAuc', 'method', 'notes', 'shape', 'target']);
    assert.deepEqual(json.notes, []);
    assert.equal(json.method, 'occlusion');
    assert.equal(json.target, CLASSES.indexOf('cross')); // the model's top-1 on its held-back example
    assert.deepEqual(json.shape, [SIZE, SIZE]);
    for (const k of ['deletionAuc', 'insertionAuc']) assert.ok(json[k] >= 0 && json[k] <= 1, `${k} ${json[k]}`);
    const map = parseNpy(out, readFileSync(out));
    assert.equal(map.dtype, 'float32');
    assert.deepEqual(map.shape, [SIZE, SIZE]);
    // Occlusion is deterministic: the file holds exactly the map the library computes for the same input.
    const model = await openModel(MODEL);
    try {
      const r = await explainModel(model, { methods: ['occlusion'], inputs: [{ file: CROSS }] });
      assert.deepEqual(Array.from(map.data as Float32Array), Array.from(r.full.get('occlusion')!));
      assert.equal(r.maps[0].deletionAuc, json.deletionAuc);
    } finally {
      await model.dispose?.();
    }
  } finally {
    await cleanup();
  }
});

test('saliency --json for IG carries the completeness residual; --target picks the class', () => {
  const json = JSON.parse(cli([MODEL, '--input', join(ROOT, 'examples/shapes/square.npy'), '--method', 'ig', '--target', '2', '--json']));
  assert.equal(json.method, 'ig');
  assert.equal(json.target, 2);
  assert.ok(typeof json.completeness === 'number' && json.completeness < 0.1, `completeness ${json.completeness}`);
});

test('saliency method settings take effect: an IG baseline file equal to the input gives a zero map; one window over the whole image, a flat one', async () => {
  const { dir, cleanup } = await tempDir('saliency-opts-');
  try {
    const read = (f: string) => Array.from(parseNpy(f, readFileSync(f)).data as Float32Array);
    const black = join(dir, 'black.npy');
    const same = join(dir, 'same.npy');
    cli([MODEL, '--input', CROSS, '--method', 'ig', '--steps', '16', '--out', black]);
    cli([MODEL, '--input', CROSS, '--method', 'ig', '--steps', '16', '--baseline', CROSS, '--out', same]);
    assert.ok(read(black).some((v) => Math.abs(v) > 1e-3), 'IG from black: a map with something in it');
    assert.ok(read(same).every((v) => v === 0), 'IG from the input itself: nothing to attribute');
    const whole = join(dir, 'whole.npy');
    cli([MODEL, '--input', CROSS, '--method', 'occlusion', '--window', String(SIZE), '--stride', String(SIZE), '--out', whole]);
    const w = read(whole);
    assert.ok(w[0] !== 0 && w.every((v) => v === w[0]), `one window covering everything: one value everywhere (${w[0]}, ${Math.min(...w)}..${Math.max(...w)})`);
  } finally {
    await cleanup();
  }
});

test('saliency method settings are checked: bounds, numbers, the method they belong to, the baseline file shape', async () => {
  const fails = (args: string[], want: RegExp) => {
    const r = spawnSync(process.execPath, [bundle, 'saliency', MODEL, '--input', CROSS, ...args], { cwd: ROOT, encoding: 'utf8' });
    assert.notEqual(r.status, 0, `${args.join(' ')} should fail`);
    assert.match(r.stderr, want, args.join(' '));
  };
  fails(['--method', 'rise', '--keep', '2'], /--keep must be a number in \[0\.01, 0\.99\]/);
  fails(['--method', 'rise', '--masks', 'many'], /--masks needs a number, got "many"/);
  fails(['--method', 'occlusion', '--window', '2.5'], /--window must be an integer/);
  fails(['--method', 'vanilla', '--keep', '0.5'], /--keep is a setting of rise, not of vanilla/);
  const { dir, cleanup } = await tempDir('saliency-baseline-');
  try {
    const small = join(dir, 'small.npy');
    writeFileSync(small, encodeNpy({ dtype: 'float32', shape: [1, 1, 8, 8], data: new Float32Array(64) }));
    // Checked like any array fed to the input (runtime/fit-input.ts), before the IG-specific check.
    fails(['--method', 'ig', '--baseline', small], /small\.npy: has shape \[1, 1, 8, 8\], but model input "image" wants \[N, 1, 32, 32\]/);
  } finally {
    await cleanup();
  }
});

test('saliency with an unknown method is a usage error naming the choices', () => {
  const r = spawnSync(process.execPath, [bundle, 'saliency', MODEL, '--method', 'lime'], { cwd: ROOT, encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--method must be one of vanilla, gradxinput/);
});

test('saliency --help lists every method setting under each method it belongs to (RISE takes --fill too)', () => {
  const help = cli(['--help']);
  const groups = new Map([...help.matchAll(/\[([^[\]]*) \((\w+)\)\]/g)].map((g) => [g[2], new Set([...g[1].matchAll(/--(\w+)/g)].map((f) => f[1]))]));
  for (const [flag, methods] of Object.entries(OPTION_METHODS)) {
    for (const m of methods) assert.ok(groups.get(m)?.has(flag), `--${flag} is not listed under ${m}: ${help}`);
  }
  assert.ok(groups.get('rise')?.has('fill'));
});

test('Grad-CAM says which layer its map comes from, in text and JSON', () => {
  const text = cli([MODEL, '--input', CROSS, '--method', 'gradcam']);
  const json = JSON.parse(cli([MODEL, '--input', CROSS, '--method', 'gradcam', '--json']));
  assert.equal(typeof json.layer, 'string');
  assert.ok(json.layer.length > 0);
  assert.match(text, new RegExp(`^gradcam at layer ${json.layer} for target ${json.target} `, 'm'));
  const chosen = JSON.parse(cli([MODEL, '--input', CROSS, '--method', 'gradcam', '--layer', 'conv1', '--json']));
  assert.equal(chosen.layer, 'conv1');
});
