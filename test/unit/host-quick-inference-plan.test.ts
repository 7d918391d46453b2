// Quick Inference's vscode-free part: the model list, the input options, the run request a choice becomes (with the
// Run tab's remembered values), and the result text, on a real run of a real conformance model through the runtime.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeRun, headline, inputOptions, orderCandidates, promptHeadline, quickRunParams } from '../../src/host/quick-inference-plan';
import { openModel } from '../../src/formats/registry';
import { runPrompt } from '../../src/runtime/lm/run-prompt';
import { tinyLm } from '../support/tiny-lm';
import { isModelPath, isRunnable } from '../../src/host/model-files';
import { runModel } from '../../src/runtime/run-model';
import { sessions } from '../../src/runtime/load';

after(() => sessions.clear());

test('model candidates: .onnx and model.json by name, TF.js by its keys, active first and each once', () => {
  assert.equal(isModelPath('/a/b/net.ONNX'), true);
  assert.equal(isModelPath('/a/web/model.json'), true);
  assert.equal(isModelPath('/a/package.json'), false);
  assert.equal(isRunnable('/w/model.json', '{"format": "graph-model", "generatedBy": "2.x"'), true);
  assert.equal(isRunnable('/w/model.json', '{\n  "modelTopology": {"class_name": "Sequential"'), true);
  assert.equal(isRunnable('/w/model.json', '{"name": "not-a-model", "version": "1.0.0"}'), false);
  assert.equal(isRunnable('/w/net.onnx', undefined), true);
  assert.deepEqual(orderCandidates('/w/z.onnx', ['/w/b.onnx', '/w/z.onnx', '/w/a/model.json']), ['/w/z.onnx', '/w/a/model.json', '/w/b.onnx']);
  assert.deepEqual(orderCandidates(undefined, ['/w/b.onnx', '/w/a.onnx']), ['/w/a.onnx', '/w/b.onnx']);
});

test('input options: synthesized kinds, image and array files; remembered Run tab inputs first when there are some', () => {
  const plain = inputOptions(undefined).map((o) => o.choice.kind === 'synth' ? o.choice.synth : o.choice.kind);
  assert.deepEqual(plain, ['normal', 'uniform', 'zeros', 'ones', 'image', 'array']);
  const withPrefs = inputOptions([{ name: 'x', file: '/d/cat.jpg', image: { normalize: 'imagenet' } }]);
  assert.equal(withPrefs[0].choice.kind, 'remembered');
  assert.match(withPrefs[0].description, /x: cat\.jpg/);
});

test('run request: remembered dims, seed, providers and image preset are reused; runs and top-k are fixed', () => {
  const r = { dims: { batch: 4 }, seed: 7, providers: ['cpu'], inputs: [{ name: 'img', file: '/d/a.png', image: { normalize: 'imagenet' as const, order: 'bgr' as const } }] };
  assert.deepEqual(quickRunParams({ kind: 'synth', synth: 'zeros' }, {}), { runs: 10, topK: 5, synth: 'zeros' });
  assert.deepEqual(quickRunParams({ kind: 'synth', synth: 'ones' }, r), { runs: 10, topK: 5, dims: { batch: 4 }, seed: 7, providers: ['cpu'], synth: 'ones' });
  assert.deepEqual(quickRunParams({ kind: 'image', file: '/d/cat.jpg' }, r).inputs, [{ file: '/d/cat.jpg', image: { normalize: 'imagenet', order: 'bgr' } }]);
  assert.deepEqual(quickRunParams({ kind: 'image', file: '/d/cat.jpg' }, {}).inputs, [{ file: '/d/cat.jpg', image: {} }]);
  assert.deepEqual(quickRunParams({ kind: 'array', file: '/d/x.npz' }, r).inputs, [{ file: '/d/x.npz' }]);
  assert.deepEqual(quickRunParams({ kind: 'remembered' }, r).inputs, r.inputs);
});

test('result text from a real run: top-k headline for a classifier-like output, summary otherwise, details in the log', async () => {
  const softmax = '/usr/share/libonnx-testdata/data/node/test_softmax_example/model.onnx';
  const s = (await runModel(softmax, { ...quickRunParams({ kind: 'synth', synth: 'ones' }, {}) })).summary;
  // Softmax of three equal values: each class 1/3.
  assert.match(headline('model.onnx', s), /^model\.onnx: class 0 \(33\.3%\), class 1 \(33\.3%\), class 2 \(33\.3%\) · cpu · p50 [\d.]+ ms$/);
  const log = describeRun('model.onnx', s);
  assert.match(log, /^model\.onnx: ran on cpu/);
  assert.match(log, /input x float32 \[1, 3\] ← ones/);
  assert.match(log, /output y float32 \[1, 3\] mean 0\.3333/);
  assert.match(log, /over 10 runs/);
  // No top-k: the first output's shape, mean and range instead.
  const add = '/usr/share/libonnx-testdata/data/node/test_add/model.onnx';
  const t = (await runModel(add, { ...quickRunParams({ kind: 'synth', synth: 'ones' }, {}), topK: 0 })).summary;
  assert.match(headline('add.onnx', t), /^add\.onnx: sum \[3, 4, 5\] mean 2 range 2\.\.2 · cpu · p50 [\d.]+ ms$/);
});

test('a language model\'s result text from a real prompt run: the next tokens with their probabilities, provider, latency', async () => {
  const model = await openModel(`${tinyLm()}/model.onnx`);
  try {
    const r = await runPrompt(model, { prompt: 'red=3 blue=7 green=1 ; blue', top: 5 });
    const text = promptHeadline('model.onnx', r);
    assert.ok(text.startsWith(`model.onnx: next token after ${r.tokens.length} prompt tokens: "${r.next[0].text}" `), text);
    // Every listed token is there, in the engine's order, and a near-certain one is not rounded up to 100%.
    let at = 0;
    for (const t of r.next) {
      const k = text.indexOf(JSON.stringify(t.text), at);
      assert.ok(k >= at, `${t.text} after position ${at} in ${text}`);
      at = k;
    }
    assert.doesNotMatch(text, /"[^"]*" 100\.0%/);
    assert.ok(text.endsWith(` · ${r.provider} · ${r.latencyMs.toFixed(1)} ms`), text);
  } finally {
    await model.dispose?.();
  }
});
