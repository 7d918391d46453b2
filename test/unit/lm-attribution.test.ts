// Ground truth for token attribution: a tiny LM trained by the tests on key–value recall (`k7=6 ; k3=3 ; k2=1 ; k2`
// → `1`), whose next token is set by one known earlier token. Each method must put its largest score on that token
// in at least 90% of held-back prompts; on a copy of the model with re-initialised weights it must not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openModel } from '../../src/formats/registry';
import { sessions } from '../../src/runtime/load';
import { explainPrompt } from '../../src/explain/token-attribution';
import type { TokenMethod } from '../../src/protocol/prompt';
import { kvRecallModel, lmModelsUnavailable, type KvRecallPrompt } from '../support/lm-models';

const skip = lmModelsUnavailable();
/**
 * Held-back prompts per method: all 200 for the cheap ones; the sampling and path methods take a few dozen passes per
 * prompt, so they get a sample that still makes a 90% rate mean something on a busy 2-core machine.
 */
const PROMPTS: Record<TokenMethod, number> = { occlusion: 200, gradxinput: 200, shapley: 80, ig: 60 };

async function hitRate(path: string, method: TokenMethod, prompts: KvRecallPrompt[]): Promise<{ rate: number; auc: { deletion: number; insertion: number }; completeness: number[] }> {
  const model = await openModel(path);
  try {
    let hits = 0;
    let deletion = 0;
    let insertion = 0;
    const completeness: number[] = [];
    for (const p of prompts) {
      // The target is the right answer, for the trained and the randomised model alike.
      // IG at its default 32 steps (its completeness residual is the check); Shapley with 8 permutations.
      const r = await explainPrompt(model, { prompt: p.prompt, method, target: p.answer_id, samples: method === 'ig' ? 32 : 8, providers: ['cpu'] });
      assert.deepEqual(r.tokens.map((t) => t.id), p.ids, 'the tokenizer beside the model gives the script\'s ids');
      const top = r.tokens.reduce((best, t, i) => (t.score > r.tokens[best].score ? i : best), 0);
      if (top === p.determining_position) hits++;
      deletion += r.deletionAuc / prompts.length;
      insertion += r.insertionAuc / prompts.length;
      if (r.completeness !== undefined) completeness.push(r.completeness);
    }
    return { rate: hits / prompts.length, auc: { deletion, insertion }, completeness };
  } finally {
    await sessions.release(model);
    await model.dispose?.();
  }
}

for (const method of ['occlusion', 'shapley', 'gradxinput', 'ig'] as const) {
  test(`${method}: the determining token gets the largest score in ≥ 90% of held-back prompts; a randomised copy loses that`, { skip }, async () => {
    const kv = await kvRecallModel();
    assert.ok(kv.heldout.accuracy >= 0.97, `the trained model answers ${kv.heldout.accuracy}`);
    const prompts = kv.heldout.prompts.slice(0, PROMPTS[method]);
    const trained = await hitRate(kv.model, method, prompts);
    const random = await hitRate(kv.random, method, prompts);
    console.log(`${method}: determining token on top in ${(trained.rate * 100).toFixed(0)}% of ${prompts.length} prompts (randomised copy ${(random.rate * 100).toFixed(0)}%); `
      + `deletion AUC ${trained.auc.deletion.toFixed(3)}, insertion AUC ${trained.auc.insertion.toFixed(3)}`
      + (trained.completeness.length ? `; IG completeness residual median ${[...trained.completeness].sort((a, b) => a - b)[trained.completeness.length >> 1].toExponential(1)}` : ''));
    assert.ok(trained.rate >= 0.9, `${method} rate ${trained.rate}`);
    assert.ok(random.rate < 0.6, `${method} on the randomised copy: ${random.rate}`);
    // Removing the most-attributed tokens first must hurt the answer more than adding them back helps it last.
    assert.ok(trained.auc.deletion < trained.auc.insertion, `deletion ${trained.auc.deletion} vs insertion ${trained.auc.insertion}`);
    if (method === 'ig') for (const c of trained.completeness) assert.ok(c < 0.05, `IG completeness residual ${c}`);
  });
}
