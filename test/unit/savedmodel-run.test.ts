// A TF SavedModel runs through @tensorflow/tfjs-node when it is installed; here (where it is not) Run says so in one
// line naming the file, and the summary still says which runtime it needs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { summarize } from '../../src/formats/summarize';
import { runModel } from '../../src/runtime/run-model';
import { ModelError } from '../../src/model/errors';

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
    assert.deepEqual(summarize(model, 0).runs, { runtime: 'tfjs-node' });
    await assert.rejects(runModel(model, { runs: 1 }), (e: unknown) =>
      e instanceof ModelError && e.message.startsWith('saved_model.pb: running a TF SavedModel needs @tensorflow/tfjs-node') && !e.message.includes('\n'));
  } finally {
    await model.dispose?.();
  }
});
