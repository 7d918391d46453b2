// `model-inspector inspect` as users run it: the bundled CLI in a child process, on real conformance models
// and on broken files.
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { summarize } from '../../src/runtime/summary';
import { formatCount } from '../../src/protocol/summary';
import { version } from '../../package.json';
import { buildCli, removeBuild } from '../support/build-engine';
import { denseGraphModel, writeTfjsModel } from '../support/tfjs-fixtures';
import { onnx } from 'onnx-proto';

const data = '/usr/share/libonnx-testdata/data';
const models = [
  'pytorch-converted/test_Conv2d',
  'pytorch-converted/test_BatchNorm2d_eval',
  'node/test_add',
  'node/test_if',
  'node/test_loop11',
  'node/test_scan9_sum',
  'node/test_layer_normalization_2d_axis0',
  'simple/test_sequence_model1',
].map((m) => `${data}/${m}/model.onnx`);
models.push(join(__dirname, '../../examples/tiny-cnn.onnx'), join(__dirname, '../../examples/tiny-mlp-tfjs/model.json'));

let cli: string;
let tmp: string;

interface Ran {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}
const run = (...args: string[]): Ran => {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
};
const noTrace = (r: Ran) => {
  assert.equal(r.signal, null);
  assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at |Error: .*\n.*\.(js|ts):\d+/);
};

before(async () => {
  cli = await buildCli();
  tmp = mkdtempSync(join(tmpdir(), 'mi-cli-'));
  const g = denseGraphModel(new Float32Array([1, 2, 3, 4, 5, 6]), new Float32Array([0.5, -0.5]));
  mkdirSync(join(tmp, 'graph'));
  const { jsonPath } = await writeTfjsModel(join(tmp, 'graph'), g.topology, 'graph-model', g.weights, { extra: { signature: g.signature } });
  models.push(jsonPath);
});
after(() => {
  rmSync(tmp, { recursive: true, force: true });
  removeBuild(cli);
});

const isDim = (d: unknown) => (typeof d === 'number' && Number.isInteger(d) && d >= 0) || (typeof d === 'string' && d.length > 0);

test('inspect --json prints one object that meets the contract and equals openModel + summarize', async () => {
  const formats = new Set<string>();
  for (const path of models) {
    const r = run('inspect', path, '--json');
    noTrace(r);
    assert.equal(r.status, 0, `${path}: ${r.stderr}`);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout.trim().split('\n').length, 1, 'one line of JSON');
    const got = JSON.parse(r.stdout);

    assert.ok(['onnx', 'tfjs-layers', 'tfjs-graph'].includes(got.format));
    formats.add(got.format);
    // The display name comes from the format's descriptor (the views show it as sent).
    assert.equal(got.formatName, { onnx: 'ONNX', 'tfjs-layers': 'TensorFlow.js (layers)', 'tfjs-graph': 'TensorFlow.js (graph)' }[got.format as string]);
    for (const list of [got.inputs, got.outputs]) {
      assert.ok(Array.isArray(list));
      for (const v of list) {
        assert.equal(typeof v.name, 'string');
        assert.equal(typeof v.dtype, 'string');
        assert.ok(v.shape === null || (Array.isArray(v.shape) && v.shape.every(isDim)), JSON.stringify(v.shape));
      }
    }
    assert.ok(Number.isInteger(got.nodeCount) && got.nodeCount > 0);
    assert.ok(Number.isInteger(got.parameterCount) && got.parameterCount >= 0);
    assert.ok(Array.isArray(got.opsets) && got.opsets.every((o: { domain: string; version: number }) => typeof o.domain === 'string' && Number.isInteger(o.version)));

    const model = await openModel(path);
    const expected = summarize(model, statSync(path).size);
    await model.dispose?.();
    assert.deepEqual(got, JSON.parse(JSON.stringify(expected)), path);
  }
  assert.deepEqual([...formats].sort(), ['onnx', 'tfjs-graph', 'tfjs-layers']);
});

test('inspect counts the weight files besides the model file: a TF.js shard, ONNX external data; none for a self-contained ONNX', async () => {
  const tfjs = join(__dirname, '../../examples/tiny-mlp-tfjs/model.json');
  const shard = join(dirname(tfjs), 'group1-shard1of1.bin');
  let got = JSON.parse(run('inspect', tfjs, '--json').stdout);
  assert.equal(got.fileBytes, statSync(tfjs).size);
  assert.deepEqual(got.dataFiles, { count: 1, bytes: statSync(shard).size });
  assert.match(run('inspect', tfjs).stdout, /^model\.json  \(tfjs-layers, .* \+ 1 data file \(/);
  got = JSON.parse(run('inspect', models[0], '--json').stdout);
  assert.equal(got.dataFiles, undefined);
  // ONNX with external data: the conformance Conv2d with its weights moved into two files (one per initializer).
  const proto = onnx.ModelProto.decode(readFileSync(models[0]));
  const dir = join(tmp, 'external');
  mkdirSync(dir);
  let bytes = 0;
  proto.graph!.initializer!.forEach((t, i) => {
    const raw = Buffer.from(t.rawData?.length ? t.rawData : new Uint8Array(new Float32Array(t.floatData ?? []).buffer));
    writeFileSync(join(dir, `w${i}.bin`), raw);
    bytes += raw.length;
    t.rawData = new Uint8Array(0);
    t.floatData = [];
    t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    t.externalData = [onnx.StringStringEntryProto.create({ key: 'location', value: `w${i}.bin` })];
  });
  writeFileSync(join(dir, 'model.onnx'), onnx.ModelProto.encode(proto).finish());
  got = JSON.parse(run('inspect', join(dir, 'model.onnx'), '--json').stdout);
  assert.deepEqual(got.dataFiles, { count: proto.graph!.initializer!.length, bytes });
  assert.deepEqual(got.warnings, []);
});

test('inspect without --json prints a readable summary', async () => {
  const path = models[0];
  const r = run('inspect', path);
  noTrace(r);
  assert.equal(r.status, 0);
  const model = await openModel(path);
  const s = summarize(model, statSync(path).size);
  await model.dispose?.();
  assert.match(r.stdout, new RegExp(`^model\\.onnx  \\(onnx, `));
  for (const v of [...s.inputs, ...s.outputs]) assert.ok(r.stdout.includes(`${v.name}  ${v.dtype}  [${(v.shape ?? []).join(', ')}]`), v.name);
  assert.match(r.stdout, new RegExp(`nodes: ${s.nodeCount}\\b`));
  // The same count text as the Overview (one formatter), with the exact count beside it.
  assert.ok(r.stdout.includes(`parameters: ${formatCount(s.parameterCount)} (${s.parameterCount.toLocaleString('en-US')}) in `), r.stdout);
  assert.match(r.stdout, new RegExp(`opsets ai\\.onnx ${s.opsets.find((o) => o.domain === '')!.version}`));
});

test('bad files: exit 1, {"error": "<file>: <problem>"} under --json, one stderr line otherwise, never a trace', () => {
  const conv = readFileSync(models[0]);
  const files: Record<string, string> = {
    'empty.onnx': '',
    'truncated.onnx': 'truncated',
    'random.onnx': 'random',
    'text.onnx': 'text',
  };
  for (const [name, kind] of Object.entries(files)) {
    const p = join(tmp, name);
    if (kind === 'truncated') writeFileSync(p, conv.subarray(0, Math.floor(conv.length / 2)));
    else if (kind === 'random') writeFileSync(p, Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 2654435761) % 256)));
    else if (kind === 'text') writeFileSync(p, 'hello, I am not a model\n'.repeat(20));
    else writeFileSync(p, '');
  }
  const brokenJson = join(tmp, 'broken', 'model.json');
  mkdirSync(dirname(brokenJson));
  writeFileSync(brokenJson, '{"format": "layers-model", "modelTopology": {"class_name": "Sequ');
  const cases = [...Object.keys(files).map((f) => join(tmp, f)), join(tmp, 'missing.onnx'), tmp, brokenJson];
  for (const path of cases) {
    const j = run('inspect', path, '--json');
    noTrace(j);
    assert.equal(j.status, 1, `${path}: ${j.stdout}${j.stderr}`);
    const lines = j.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const { error, ...rest } = JSON.parse(lines[0]);
    assert.deepEqual(rest, {});
    assert.ok(error.startsWith(`${basename(path)}: `), error);
    assert.doesNotMatch(error, /internal error/);

    const t = run('inspect', path);
    noTrace(t);
    assert.equal(t.status, 1);
    assert.equal(t.stdout, '');
    assert.equal(t.stderr, `model-inspector: ${error}\n`);
  }
});

test('command line errors exit 2; --help and --version exit 0', () => {
  for (const args of [[], ['inspect'], ['frob', models[0]], ['inspect', models[0], '--frob'], ['inspect', models[0], '--runs', '3'], ['inspect', models[0], models[1]]]) {
    const r = run(...args);
    noTrace(r);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^model-inspector: .*\nrun "model-inspector --help" for usage\n$/);
    const j = run(...args, '--json');
    assert.equal(j.status, 2);
    assert.equal(typeof JSON.parse(j.stdout).error, 'string');
  }
  const help = run('--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^model-inspector .*\n[\s\S]*\n  inspect  /);
  const verbHelp = run('inspect', '--help');
  assert.equal(verbHelp.status, 0);
  assert.match(verbHelp.stdout, /usage: model-inspector inspect <model>/);
  const v = run('--version');
  assert.equal(v.status, 0);
  assert.equal(v.stdout, `${version}\n`);
});

test('the source entry runs through tsx the same as the bundle', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'inspect', models[2], '--json'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), JSON.parse(run('inspect', models[2], '--json').stdout));
});
