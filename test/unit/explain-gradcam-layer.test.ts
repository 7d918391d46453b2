// Grad-CAM's layer: the result lists the layers it can use and each Grad-CAM map says which one it came from; a chosen
// layer is the one used, and gives another map than the default (last) layer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { explainModel, wireResult } from '../../src/explain/explain';

const ROOT = join(__dirname, '../..');
const MODEL = join(ROOT, 'examples/shapes/model.onnx');
const INPUT = join(ROOT, 'examples/shapes/circle.npy');

test('Grad-CAM names its layer and the candidates; a chosen layer is used', async () => {
  const model = await openModel(MODEL);
  try {
    const first = await explainModel(model, { methods: ['gradcam'], inputs: [{ file: INPUT }] });
    const layers = first.gradcamLayers ?? [];
    assert.ok(layers.length >= 2, `candidate layers: ${layers.join(', ')}`);
    assert.equal(first.maps[0].layer, layers[layers.length - 1], 'the default is the last layer with spatial output');
    assert.deepEqual(wireResult(first).gradcamLayers, layers, 'the list crosses the channel');
    const chosen = await explainModel(model, { methods: ['gradcam'], inputs: [{ file: INPUT }], options: { layer: layers[0] } });
    assert.equal(chosen.maps[0].layer, layers[0]);
    assert.notDeepEqual(chosen.maps[0].values, first.maps[0].values);
    // Methods other than Grad-CAM carry no layer, and without Grad-CAM there is no candidate list.
    const other = await explainModel(model, { methods: ['vanilla'], inputs: [{ file: INPUT }] });
    assert.equal(other.maps[0].layer, undefined);
    assert.equal(other.gradcamLayers, undefined);
  } finally {
    await model.dispose?.();
  }
});
