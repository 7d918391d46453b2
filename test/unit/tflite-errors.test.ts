// Broken TFLite files through the bundled CLI: each gives exit 1 and {"error": "<file>: <problem>"}, never a trace.
// Two are written by flatc itself with lying contents (make.py); the others are cut or patched copies of a good file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useCliBundle } from '../support/cli-bundle';

const dir = join(__dirname, '../fixtures/tflite');
let cli: string;
let tmp: string;
useCliBundle('mi-tflite-', (b) => ({ cli, tmp } = b));

function write(name: string, bytes: Uint8Array): string {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
}

function expectError(path: string, problem: RegExp, verb = 'inspect'): void {
  const r = spawnSync(process.execPath, [cli, verb, path, '--json'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.signal, null);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at |RangeError|TypeError/);
  const { error } = JSON.parse(r.stdout) as { error: string };
  const name = path.split('/').pop()!;
  assert.ok(error.startsWith(`${name}: `), error);
  assert.doesNotMatch(error, /\n/);
  assert.match(error, problem);
}

const good = () => readFileSync(join(dir, 'cnn_float.tflite'));

test('an operator input pointing at a tensor that does not exist', () => {
  expectError(join(dir, 'broken_tensor_index.tflite'), /operator 3 \(FULLY_CONNECTED\) input 1 refers to tensor 99, but subgraph 0 has 11 tensors/);
});

test('a buffer stored past the end of the file', () => {
  expectError(join(dir, 'broken_buffer_offset.tflite'), /buffer 4 is stored at bytes \[1048576, \d+\), past the end of the file/);
});

test('a large-model file whose appended buffers were cut off', () => {
  const b = readFileSync(join(dir, 'cnn_float_external.tflite'));
  expectError(write('cut_tail.tflite', b.subarray(0, b.length - 100)), /past the end of the file/);
});

test('a wrong file identifier', () => {
  const b = good();
  b.write('TFL2', 4, 'latin1');
  expectError(write('wrong_id.tflite', b), /file identifier is "TFL2", not "TFL3"/);
});

for (const keep of [6, 100, 1000, 2000, 4000]) {
  test(`a file truncated to ${keep} bytes`, () => {
    expectError(write(`truncated_${keep}.tflite`, good().subarray(0, keep)), /too short|truncated|corrupt|past the end/);
  });
}

test('stats on a broken file fails the same way', () => {
  expectError(join(dir, 'broken_tensor_index.tflite'), /refers to tensor 99/, 'stats');
});

test('every single-byte corruption of the root region gives a ModelError or opens, never a crash', () => {
  // Flip each of the first 256 bytes (root offset, vtables, vector lengths of the top-level tables) in turn.
  const base = good();
  const script = `
    const { openModel } = require(${JSON.stringify(join(__dirname, '../../src/formats/registry'))});
    const fs = require('node:fs');
    (async () => {
      const base = fs.readFileSync(process.argv[1]);
      const bad = [];
      for (let i = 0; i < 256; i++) {
        const b = Buffer.from(base); b[i] ^= 0xff;
        fs.writeFileSync(process.argv[2], b);
        try { const m = await openModel(process.argv[2]); await m.dispose?.(); }
        catch (e) { if (e.name !== 'ModelError') bad.push(i + ': ' + e.name + ' ' + e.message); }
      }
      console.log(JSON.stringify(bad));
    })();`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script, join(dir, 'cnn_float.tflite'), join(tmp, 'flip.tflite')], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), []);
  assert.ok(base.length > 256);
});
