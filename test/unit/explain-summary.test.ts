// The side view's "last explanation" summary: thumbnail box-averaging and the failed-check warnings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SIDE_TOKENS, summarizeExplanation, summarizePromptExplanation, THUMB } from '../../src/protocol/explain-summary';
import type { PromptExplainResult } from '../../src/protocol/prompt';
import type { ExplainMap, ExplainResult } from '../../src/protocol/explain';

const map = (over: Partial<ExplainMap>): ExplainMap => ({ method: 'ig', shape: [64, 64], values: Array.from({ length: 64 * 64 }, (_, i) => i % 64), signed: true, deletionAuc: 0.2, insertionAuc: 0.8, ms: 1, ...over });
const result = (maps: ExplainMap[]): ExplainResult => ({ target: 3, score: 0.9, top: [], inputName: 'x', inputShape: [1, 3, 64, 64], maps });

test('a 64×64 map becomes a 32×32 thumbnail of 2×2 means; passing checks give no warning', () => {
  const [s] = summarizeExplanation('m.onnx', result([map({ completeness: 0.01, randomizationSpearman: 0.1 })]));
  assert.deepEqual(s.thumbnail.shape, [THUMB, THUMB]);
  assert.equal(s.thumbnail.values.length, THUMB * THUMB);
  assert.equal(s.thumbnail.values[0], 0.5); // columns 0 and 1
  assert.equal(s.thumbnail.values[THUMB - 1], 62.5); // columns 62 and 63
  assert.deepEqual(s.warnings, []);
  assert.equal(s.target, 3);
});

test('a completeness residual over 0.05, a randomization ρ over 0.5 and a failed method each give a warning', () => {
  const items = summarizeExplanation('m.onnx', result([map({ completeness: 0.2, randomizationSpearman: 0.8 }), map({ method: 'gradcam', values: [], error: 'no spatial layer' })]));
  assert.equal(items.length, 1);
  assert.equal(items[0].warnings.length, 3);
  assert.match(items[0].warnings.join('\n'), /completeness residual 0\.200 > 0\.05/);
  assert.match(items[0].warnings.join('\n'), /randomization rank correlation 0\.80 > 0\.5/);
  assert.match(items[0].warnings.join('\n'), /gradcam could not run: no spatial layer/);
});

test('prompt explanation summary: the last MAX_SIDE_TOKENS tokens (nearest the prediction), AUCs, a warning for a large IG residual', () => {
  const tokens = Array.from({ length: MAX_SIDE_TOKENS + 7 }, (_, i) => ({ id: i, text: `t${i}`, score: i % 3 - 1 }));
  const r: PromptExplainResult = {
    method: 'ig', provider: 'cpu', tokenizer: 'tokenizer.json beside the model', target: { id: 5, text: 'x', p: 0.25 }, tokens,
    deletion: [0.25, 0.1, 0], insertion: [0, 0.2, 0.25], deletionAuc: 0.11, insertionAuc: 0.17, completeness: 0.2, passes: 33,
    baseline: { id: 0, text: '<pad>' }, ms: 12, notes: [],
  };
  const s = summarizePromptExplanation('lm.onnx', r);
  assert.equal(s.skipped, 7);
  assert.deepEqual(s.tokens, tokens.slice(7));
  assert.deepEqual([s.fileName, s.method, s.target, s.deletionAuc, s.insertionAuc, s.completeness], ['lm.onnx', 'ig', r.target, 0.11, 0.17, 0.2]);
  assert.equal(s.warnings.length, 1);
  assert.match(s.warnings[0], /IG completeness residual 0\.200 > 0\.05/);
  assert.deepEqual(summarizePromptExplanation('lm.onnx', { ...r, completeness: 0.01 }).warnings, []);
  assert.equal(summarizePromptExplanation('lm.onnx', { ...r, tokens: tokens.slice(0, 3) }).skipped, 0);
});
