// On the trained key-value recall LM (`k7=6 ; k3=3 ; k1=9 ; k2=1 ; k2` -> `1`, test/support/lm/kv_recall.py from
// the language-models work): the head summaries name a head whose attention from the query position (the last token)
// peaks on the binding of the queried key, on most held-out prompts, where the same architecture with random weights
// has none. Skipped until that model's builder (test/support/lm-models.ts) is in this tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { attentionMaps } from '../../src/runtime/lm/attention';
import { releaseModel } from '../../src/runtime/run-model';
import { torchUnavailable } from '../support/attention-models';

const support = join(__dirname, '../support/lm-models.ts');
const skip = existsSync(support) ? torchUnavailable() : 'test/support/lm-models.ts (the key-value recall model) is not in this tree';
const N = 60;

interface Prompt { prompt: string; determining_position: number }

/** Per head ("layer.head"): on how many prompts its peak from the last token is the binding, and the mean weight there. */
async function retrievalHeads(file: string, prompts: Prompt[]) {
  const model = await openModel(file);
  const heads = new Map<string, { hits: number; weight: number; role: string }>();
  try {
    for (const p of prompts) {
      const r = await attentionMaps(model, { prompt: p.prompt });
      for (const l of r.layers) {
        l.heads.forEach((s, k) => {
          const e = heads.get(`${l.index}.${k}`) ?? { hits: 0, weight: 0, role: '' };
          if (s.peak.position === p.determining_position) {
            e.hits++;
            e.weight += s.peak.weight;
            e.role ||= s.role;
          }
          heads.set(`${l.index}.${k}`, e);
        });
      }
    }
  } finally {
    await releaseModel(model);
    await model.dispose?.();
  }
  const [name, best] = [...heads].sort((a, b) => b[1].hits - a[1].hits)[0];
  return { name, share: best.hits / prompts.length, weight: best.hits ? best.weight / best.hits : 0, role: best.role };
}

test('key-value recall: a head peaks from the query on the queried key\'s binding; the summaries name it', { skip }, async () => {
  const { kvRecallModel } = (await import(support)) as { kvRecallModel(): Promise<{ model: string; random: string; heldout: { prompts: Prompt[] } }> };
  const kv = await kvRecallModel();
  const prompts = kv.heldout.prompts.slice(0, N);
  const trained = await retrievalHeads(kv.model, prompts);
  const random = await retrievalHeads(kv.random, prompts);
  console.log(`trained: layer.head ${trained.name} peaks on the binding in ${(trained.share * 100).toFixed(0)}% of ${N} held-out prompts, mean weight ${trained.weight.toFixed(3)}; e.g. "${trained.role}"`);
  console.log(`random weights: best head ${random.name} in ${(random.share * 100).toFixed(0)}%, mean weight ${random.weight.toFixed(3)}`);
  // 3 or 4 bindings among ~9 positions: a head that looked at a random binding would hit a third of the time at most
  assert.ok(trained.share >= 0.5, `best head ${trained.name} hits ${trained.share}`);
  assert.ok(trained.share >= random.share + 0.2, `trained ${trained.share} vs random ${random.share}`);
  assert.match(trained.role, /from the last token it looks most at position \d+ \("k\d=\d"\)/);
});
