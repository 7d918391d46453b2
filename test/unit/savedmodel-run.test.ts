// A TF SavedModel runs through @tensorflow/tfjs-node when it is installed; here (where it is not) Run says so in one
// line naming the file; the format's summary says which runtime it needs, and the summary the engine and
// `inspect` serve says it cannot run here and why (so the Run and Explain tabs offer nothing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { summarize } from '../../src/runtime/summary';
import { runModel } from '../../src/runtime/run-model';
import { ModelError } from '../../src/model/errors';
import { inspectFile } from '../../src/cli/inspect';

const dir = join(__dirname, '../fixtures/savedmodel/dense');
let hasTfjsNode = true;
try {
  require.resolve('@tensorflow/tfjs-node');
} catch {
  hasTfjsNode = false;
}

test('without tfjs-node, running a SavedModel is a one-line error that says what to install', { skip: hasTfjsNode && 'tfjs-node is installed here' }, async () => {
  const model = await openModel(dir);
  try {
    const served = summarize(model, 0).runs;
    assert.equal(served.runtime, null);
    assert.match(served.why!, /needs @tensorflow\/tfjs-node .* which is not installed/);
    assert.deepEqual((await inspectFile(join(dir, 'saved_model.pb'))).runs, served);
    await assert.rejects(runModel(model, { runs: 1 }), (e: unknown) =>
      e instanceof ModelError && e.message.startsWith('saved_model.pb: running a TF SavedModel needs @tensorflow/tfjs-node') && !e.message.includes('\n'));
  } finally {
    await model.dispose?.();
  }
});

test('an ONNX model\'s summary names the backend that runs it and what it can do', async () => {
  const model = await openModel(join(__dirname, '../../examples/tiny-cnn.onnx'));
  try {
    assert.deepEqual(summarize(model, 0).runs, { runtime: 'onnxruntime', name: 'ONNX Runtime', capabilities: ['tensors', 'tokens', 'activations', 'profiling', 'gradients'] });
  } finally {
    await model.dispose?.();
  }
});
