// Bad input to the language-model paths: each a clear `<file>: <problem>`, with the engine alive afterwards.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, openSync, closeSync, ftruncateSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, freemem } from 'node:os';
import { join } from 'node:path';
import { EngineClient } from '../../src/engine/client';
import { encodeNpy } from '../../src/formats/arrays/npy';
import { llamaInstalled } from '../../src/runtime/backends/llama-cpp/install';
import { buildEngine, buildCli, removeBuild } from '../support/build-engine';
import { kvRecallModel, lmModelsUnavailable, tinyLlamaModel } from '../support/lm-models';

const skip = lmModelsUnavailable();
const ROOT = join(__dirname, '../..');
const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
/** The CLI's one-line error for a failing command: exit 1, `{"error"}` on stdout with --json, else one stderr line. */
function fails(args: string[], re: RegExp): void {
  const r = cli(args);
  assert.equal(r.status, 1, `exit ${r.status}; stdout ${r.stdout.slice(0, 300)}; stderr ${r.stderr.slice(0, 500)}`);
  const line = args.includes('--json') ? (JSON.parse(r.stdout) as { error: string }).error : r.stderr.trim().replace(/^model-inspector: /, '');
  assert.match(line, re);
  assert.equal(line.split('\n').length, 1, `one line: ${line}`);
}

let tmp = '';
before(() => (tmp = mkdtempSync(join(tmpdir(), 'mi-lm-errors-'))));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('a tokenizer whose vocabulary does not fit the model is refused, naming the tokenizer file', { skip }, async () => {
  const llama = await tinyLlamaModel();
  const kv = await kvRecallModel();
  fails(['run', llama.onnx, '--prompt', 'hello', '--tokenizer', kv.tokenizer, '--json'], /^tokenizer\.json: has \d+ tokens, far fewer than the model's \d+: tokenizer and model vocabularies disagree/);
  // And a GGUF given a tokenizer.json from another model: the same sentence.
  fails(['run', llama.gguf, '--prompt', 'hello', '--tokenizer', kv.tokenizer], /tokenizer and model vocabularies disagree/);
});

test('a prompt longer than the context is refused before any pass', { skip }, async () => {
  const llama = await tinyLlamaModel();
  const long = Array.from({ length: 3000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join(' ');
  fails(['run', llama.gguf, '--prompt', long], /^model\.gguf: the prompt has \d+ tokens, more than the \d+ the model takes$/);
  const kv = await kvRecallModel();
  const words = Array.from({ length: 600 }, () => 'k1 = 2 ;').join(' ');
  fails(['run', kv.model, '--prompt', words], /^model\.onnx: the prompt has \d+ tokens, more than the \d+ the model takes$/);
});

test('an id out of range in an .npy names the file and the id', { skip }, async () => {
  const llama = await tinyLlamaModel();
  const npy = join(tmp, 'ids.npy');
  writeFileSync(npy, encodeNpy({ dtype: 'int64', shape: [1, 3], data: BigInt64Array.from([1n, 5000n, 2n]) }));
  fails(['run', llama.onnx, '--input', npy, '--json'], /ids\.npy: holds token id 5000 at index 1, but input "input_ids" indexes a vocabulary of \d+ tokens/);
});

test('a GGUF architecture llama.cpp does not know: said by name', { skip }, async () => {
  const llama = await tinyLlamaModel();
  fails(['run', llama.unknownArchGguf, '--prompt', 'hello'], /unknown-arch\.gguf: has architecture "llama-unknown", which this llama\.cpp \(node-llama-cpp 3\.21\.1\) does not know/);
});

test('a GGUF larger than free memory is refused before loading', { skip }, async () => {
  const llama = await tinyLlamaModel();
  const big = join(tmp, 'big.gguf');
  copyFileSync(llama.gguf, big);
  // A sparse tail: the header and tensors are the real file's; the size is beyond this machine's memory.
  const fd = openSync(big, 'r+');
  ftruncateSync(fd, Math.max(freemem() * 2, 64 * 2 ** 30));
  closeSync(fd);
  copyFileSync(llama.tokenizer, join(tmp, 'tokenizer.json'));
  fails(['run', big, '--prompt', 'hello'], /big\.gguf: is [\d.]+ [GT]B, more than the [\d.]+ [GMT]B of free memory: refused before loading/);
});

test('the llama.cpp binary missing: the bundled CLI without node_modules, and a folder without the CPU build', { skip }, async () => {
  const llama = await tinyLlamaModel();
  const bundle = await buildCli();
  try {
    const alone = join(tmp, 'alone');
    mkdirSync(alone);
    copyFileSync(bundle, join(alone, 'cli.js'));
    const r = spawnSync(process.execPath, [join(alone, 'cli.js'), 'run', llama.gguf, '--prompt', 'hello'], { encoding: 'utf8', cwd: alone });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /model\.gguf: llama\.cpp is not installed: the node-llama-cpp package is missing from this build/);
  } finally {
    removeBuild(bundle);
  }
  // node-llama-cpp present, its CPU build package not: the backend says which package is missing.
  const fake = join(tmp, 'nm');
  mkdirSync(join(fake, 'node-llama-cpp'), { recursive: true });
  writeFileSync(join(fake, 'node-llama-cpp', 'package.json'), '{"name":"node-llama-cpp","version":"3.21.1"}');
  assert.match(String(llamaInstalled([fake])), /^the llama\.cpp binary is missing: @node-llama-cpp\/\S+ \(3\.21\.1\) is not installed$/);
  assert.equal(llamaInstalled(), true, 'here the real install has it');
});

test('through the engine: a failing prompt leaves the engine serving (unknown architecture, then a good prompt)', { skip }, async () => {
  const llama = await tinyLlamaModel();
  const enginePath = await buildEngine();
  const client = new EngineClient({ enginePath, settings: () => ({ devices: { 'llama-cpp': ['cpu'] } }) });
  try {
    const bad = await client.call('open', { path: llama.unknownArchGguf });
    await assert.rejects(client.call('runPrompt', { modelId: bad.modelId, prompt: 'hello' }), /has architecture "llama-unknown"/);
    const pong = await client.call('ping', {});
    assert.ok(pong.pid > 0);
    const good = await client.call('open', { path: llama.gguf });
    assert.equal(good.summary.runs.runtime, 'llama-cpp');
    assert.deepEqual(good.summary.lm?.kind, 'causal');
    const r = await client.call('runPrompt', { modelId: good.modelId, prompt: 'hello there', top: 3 });
    assert.equal(r.provider, 'cpu');
    // The device order came from the configure request: only cpu was asked for, nothing was skipped.
    assert.deepEqual(r.skipped, []);
    assert.equal(r.next.length, 3);
  } finally {
    client.dispose();
    removeBuild(enginePath);
  }
});

test('a word a WordLevel vocabulary lacks: its unknown token stands for it, or, without one, the tokenizer file says so', { skip }, async () => {
  const kv = await kvRecallModel();
  const withUnk = JSON.parse(cli(['run', kv.model, '--prompt', 'k1=2 ; zebra ; k1', '--json']).stdout) as { tokens: { text: string }[] };
  assert.ok(withUnk.tokens.some((t) => t.text === '<unk>'), JSON.stringify(withUnk.tokens));
  const t = JSON.parse(readFileSync(kv.tokenizer, 'utf8'));
  t.added_tokens = t.added_tokens.filter((a: { content: string }) => a.content !== '<unk>');
  delete t.model.vocab['<unk>'];
  t.model.unk_token = null;
  const dir = join(tmp, 'no-unk');
  mkdirSync(dir);
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(t));
  fails(['run', kv.model, '--prompt', 'k1=2 ; zebra ; k1', '--tokenizer', join(dir, 'tokenizer.json')], /^tokenizer\.json: has no token for "zebra" and no unknown-token entry to stand for it$/);
});
