// Sanity check of the key-value recall model that kv_recall.py writes: for each held-out prompt, occlude each
// token (replace it by <pad>, by <unk>, or leave it out) and see whether the largest drop in p(answer) falls on
// the determining binding. Prints the rate per way of occluding, for model.onnx and random.onnx.
//   node test/support/lm/check-kv-occlusion.mjs <dir written by kv_recall.py>
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) throw new Error('usage: check-kv-occlusion.mjs DIR');
const ort = await import('onnxruntime-node');
const held = JSON.parse(readFileSync(join(dir, 'heldout.json'), 'utf8'));
const vocab = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')).model.vocab;
const result = {};
for (const file of ['model.onnx', 'random.onnx']) {
  const session = await ort.InferenceSession.create(join(dir, file));
  const prob = async (ids, answer) => {
    const out = (await session.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]) })).logits;
    const v = out.dims[2];
    const row = Array.from(out.data.subarray((ids.length - 1) * v, ids.length * v));
    const m = Math.max(...row);
    return Math.exp(row[answer] - m) / row.reduce((a, x) => a + Math.exp(x - m), 0);
  };
  for (const [how, id] of [['<pad>', vocab['<pad>']], ['<unk>', vocab['<unk>']], ['left out', -1]]) {
    let hits = 0;
    for (const p of held.prompts) {
      const p0 = await prob(p.ids, p.answer_id);
      const drops = [];
      for (let i = 0; i < p.ids.length; i++) {
        const ids = id < 0 ? p.ids.filter((_, j) => j !== i) : p.ids.map((t, j) => (j === i ? id : t));
        drops.push(p0 - await prob(ids, p.answer_id));
      }
      if (drops.indexOf(Math.max(...drops)) === p.determining_position) hits++;
    }
    result[`${file} ${how}`] = hits / held.prompts.length;
  }
}
console.log(JSON.stringify(result, null, 1));
