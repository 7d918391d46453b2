// The Run tab fills its inputs from the Overview's list (the summary's input names) and the engine matches them by
// name, so the TF.js session built from a Keras file must name its inputs and outputs as the reader does: a Keras 3
// Sequential's InputLayer ("input_layer") is not folded away into "<first layer>_input", and loading a model again
// in the same process (the engine keeps running) does not add tfjs's "_1" tensor-name suffixes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { summarize } from '../../src/runtime/summary';
import { kerasArtifacts } from '../../src/formats/keras/artifacts';
import { loadTfjs } from '../../src/runtime/backends/tfjs/session';
import { releaseModel, runModel } from '../../src/runtime/run-model';

const dir = join(__dirname, '../fixtures/keras');

for (const file of ['tiny-mlp.keras', 'tiny-mlp.h5', 'tiny-cnn.keras', 'nested.keras', 'regularized.h5', 'regularized.keras']) {
  test(`${file}: the TF.js session's inputs and outputs carry the Overview's names, on every load`, async () => {
    const model = await openModel(join(dir, file));
    try {
      const summary = summarize(model, 0);
      for (let load = 1; load <= 2; load++) {
        const session = await loadTfjs(model.path, await kerasArtifacts(model));
        try {
          assert.deepEqual(session.inputs.map((i) => i.name), summary.inputs.map((i) => i.name), `inputs, load ${load}`);
          assert.deepEqual(session.outputs.map((o) => o.name), summary.outputs.map((o) => o.name), `outputs, load ${load}`);
        } finally {
          await session.dispose();
        }
      }
    } finally {
      await model.dispose?.();
    }
  });
}

test('tiny-mlp.keras runs with its input named as the Overview names it (what the Run tab sends)', async () => {
  const model = await openModel(join(dir, 'tiny-mlp.keras'));
  try {
    const [input] = summarize(model, 0).inputs;
    const r = await runModel(model, { inputs: [{ name: input.name, synth: 'normal' }], runs: 1, warmup: 0 });
    assert.equal(r.summary.inputs[0].name, input.name);
    assert.deepEqual(r.summary.outputs.map((o) => o.name), summarize(model, 0).outputs.map((o) => o.name));
    await releaseModel(model);
  } finally {
    await model.dispose?.();
  }
});
