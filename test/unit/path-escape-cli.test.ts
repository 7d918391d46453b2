// The bundled CLI (a child process, as users run it) on models whose weight paths leave their folder: every verb
// exits 1 with one `{"error": "<file>: … leaves the model folder (…)"}` line, and the secret's value appears nowhere.
// The controls (the same bytes inside the folder) show that value does appear when the bytes are read.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpy } from '../../src/formats/arrays/npy';
import { buildCli, removeBuild } from '../support/build-engine';
import { SECRET_FLOATS, SECRET_VALUE, onnxModelPointingAt, removeTree, tfjsModelPointingAt, writeSecret } from '../support/escape-fixtures';

let cli: string;
let root: string;
const models: Record<'tfjs' | 'onnx', { escaping: string; control: string; input: string }> = {} as never;

before(async () => {
  cli = await buildCli();
  root = await mkdtemp(join(tmpdir(), 'mi-escape-cli-'));
  const secret = await writeSecret(root);
  const dir = async (name: string, control: boolean) => {
    const d = join(root, 'models', name);
    await mkdir(join(d, 'weights'), { recursive: true });
    if (control) await copyFile(secret, join(d, 'weights', 'w.bin'));
    return d;
  };
  const npy = async (name: string, n: number) => {
    const p = join(root, name);
    await writeFile(p, encodeNpy({ dtype: 'float32', shape: [1, n], data: new Float32Array(n).fill(1) }));
    return p;
  };
  models.tfjs = {
    escaping: await tfjsModelPointingAt(await dir('tfjs-escaping', false), '../../elsewhere/secret.bin'),
    control: await tfjsModelPointingAt(await dir('tfjs-control', true), 'weights/w.bin'),
    input: await npy('x3.npy', 3),
  };
  models.onnx = {
    escaping: onnxModelPointingAt(await dir('onnx-escaping', false), '../../elsewhere/secret.bin'),
    control: onnxModelPointingAt(await dir('onnx-control', true), 'weights/w.bin'),
    input: await npy('x8.npy', SECRET_FLOATS),
  };
});
after(async () => {
  removeBuild(cli);
  await removeTree(root);
});

const cliRun = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });

/** Each verb's arguments after the model path. */
const verbs = (input: string): Record<string, string[]> => ({
  inspect: ['--json'],
  stats: ['--json'],
  run: ['--json', '--runs', '1', '--ep', 'cpu'],
  saliency: ['--json', '--input', input, '--method', 'occlusion', '--ep', 'cpu'],
});

const secretText = String(SECRET_VALUE); // "4242.5": in any number the bytes would produce

for (const format of ['tfjs', 'onnx'] as const) {
  test(`${format}: inspect, stats, run and saliency refuse the escaping model: exit 1, one JSON error line, no trace, no secret`, () => {
    const m = models[format];
    const file = format === 'tfjs' ? 'model.json' : 'model.onnx';
    const what = format === 'tfjs' ? 'weight shard path' : "external data path";
    for (const [verb, args] of Object.entries(verbs(m.input))) {
      const r = cliRun(verb, m.escaping, ...args);
      assert.equal(r.status, 1, `${verb}: ${r.stdout}${r.stderr}`);
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines.length, 1, `${verb}: ${r.stdout}`);
      const { error } = JSON.parse(lines[0]) as { error: string };
      assert.ok(error.startsWith(`${file}: ${what} "../../elsewhere/secret.bin"`), `${verb}: ${error}`);
      assert.match(error, /leaves the model folder \(it climbs out with '\.\.'\)$/, verb);
      assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at |TypeError|internal error/, verb);
      assert.ok(!(r.stdout + r.stderr).includes(secretText), `${verb} printed the secret`);
    }
    // Without --json the same line goes to stderr.
    const text = cliRun('inspect', m.escaping);
    assert.equal(text.status, 1);
    assert.match(text.stderr, new RegExp(`${file.replace('.', '\\.')}: ${what} "\\.\\./\\.\\./elsewhere/secret\\.bin".* leaves the model folder`));
  });

  test(`${format}: the control (the same bytes inside the folder) prints the secret's value in stats and run`, () => {
    const m = models[format];
    const stats = cliRun('stats', m.control, '--json');
    assert.equal(stats.status, 0, stats.stderr);
    assert.ok(stats.stdout.includes(secretText), stats.stdout.slice(0, 400));
    const run = cliRun('run', m.control, '--json', '--runs', '1', '--ep', 'cpu', '--input', m.input);
    assert.equal(run.status, 0, run.stderr);
    // tfjs Dense 3→2 on ones: 4·S; ONNX x + W on ones: S + 1.
    const want = format === 'tfjs' ? 4 * SECRET_VALUE : SECRET_VALUE + 1;
    assert.equal((JSON.parse(run.stdout) as { outputs: { max: number }[] }).outputs[0].max, want);
  });
}
