// The engine's attention methods over the real fork: the grid (summaries + thumbnails, no full maps), one head's
// map equal to torch's, the logit lens, and the host-side validators that forward them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildEngine, removeBuild } from '../support/build-engine';
import { EngineClient } from '../../src/engine/client';
import { forwardedValidators } from '../../src/protocol/forwarded';
import { parseNpy } from '../../src/formats/arrays/npy';
import { attentionModels, torchUnavailable } from '../support/attention-models';

const skip = torchUnavailable();
let engine = '';
before(async () => {
  if (!skip) engine = await buildEngine();
});
after(() => {
  if (engine) removeBuild(engine);
});

test('validators: the webview\'s attention requests are checked before they are forwarded', () => {
  assert.equal(forwardedValidators.attentionMaps({ prompt: 'a b' }, 'params'), undefined);
  assert.match(forwardedValidators.attentionMaps({ prompt: 7 }, 'params') ?? '', /prompt/);
  assert.match(forwardedValidators.attentionHead({ prompt: 'a', layer: -1, head: 0 }, 'params') ?? '', /layer/);
  assert.match(forwardedValidators.attentionHead({ prompt: 'a', layer: 0 }, 'params') ?? '', /head/);
  assert.equal(forwardedValidators.logitLens({ prompt: 'a', target: 'the' }, 'params'), undefined);
  assert.match(forwardedValidators.logitLens({ prompt: 'a', target: -3 }, 'params') ?? '', /target/);
});

test('engine: attentionMaps sends thumbnails, attentionHead one head\'s map (torch\'s), logitLens the table', { skip }, async () => {
  const dir = join(attentionModels(), 'l6-causal');
  const ids: number[] = JSON.parse(readFileSync(join(dir, 'ids.json'), 'utf8'));
  const prompt = ids.join(' ');
  const t = ids.length;
  const c = new EngineClient({ enginePath: engine });
  try {
    const { modelId } = await c.call('open', { path: join(dir, 'model.onnx') });
    const progress: number[] = [];
    const maps = await c.call('attentionMaps', { modelId, prompt }, { onProgress: (p) => progress.push(p.fraction ?? -1) });
    assert.equal(maps.layers.length, 6);
    assert.equal(maps.thumbs!.layers.length, 6);
    assert.deepEqual([maps.thumbs!.rows, maps.thumbs!.cols], [t, t]);
    assert.equal(Buffer.from(maps.thumbs!.layers[0], 'base64').length, 4 * t * t, 'one byte a cell, 4 heads');
    assert.ok(progress.length >= 1);
    const head = await c.call('attentionHead', { modelId, prompt, layer: 5, head: 1 });
    const q = new Uint16Array(new Uint8Array(Buffer.from(head.weights, 'base64')).buffer);
    const ref = (parseNpy('attn_5.npy', readFileSync(join(dir, 'attn_5.npy'))).data as Float32Array).subarray(t * t, 2 * t * t);
    for (let i = 0; i < t * t; i++) assert.ok(Math.abs(q[i] / 65535 - ref[i]) <= 1 / 65535 + 1e-6);
    assert.equal(head.summary.role, maps.layers[5].heads[1].role);
    const lens = await c.call('logitLens', { modelId, prompt, target: 3 });
    assert.equal(lens.layers.length, 6);
    assert.equal(lens.target?.id, 3);
    await assert.rejects(c.call('attentionHead', { modelId, prompt, layer: 0, head: 4 }), /head 4 does not exist: layer 0 has 4 heads/);
    await c.call('close', { modelId });
  } finally {
    c.dispose();
  }
});
