// Long perturbation methods say how far they got and stop when cancelled: occlusion on a 224 px ResNet-50 was a
// minute of "occlusion (67%)" with nothing moving (newcomer tour, issue 14). Checked on the small shapes model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { explainModel, timeLeftText } from '../../src/explain/explain';

const ROOT = join(__dirname, '../..');
const MODEL = join(ROOT, 'examples/shapes/model.onnx');
const INPUT = join(ROOT, 'examples/shapes/circle.npy');

test('occlusion and RISE report their windows and masks; the fraction only grows', async () => {
  const model = await openModel(MODEL);
  try {
    const seen: { fraction: number; message: string }[] = [];
    await explainModel(model, {
      methods: ['occlusion', 'rise'], inputs: [{ file: INPUT }], options: { window: 2, stride: 1, masks: 300 },
      onProgress: (fraction, message) => seen.push({ fraction, message }),
    });
    // 32 px, 2 px windows moved 1 px: 31 × 31 windows.
    const windows = seen.map((s) => /^occlusion: window (\d+) of (\d+)(?:, about \d+ (?:s|min) left)?$/.exec(s.message)).filter((m) => m !== null);
    assert.ok(windows.length >= 2, `occlusion progress: ${JSON.stringify(seen)}`);
    assert.deepEqual(windows[0]!.slice(1).map(Number), [0, 31 * 31]);
    assert.deepEqual(windows[windows.length - 1]!.slice(1).map(Number), [31 * 31, 31 * 31]);
    assert.ok(seen.some((s) => /^rise: mask \d+ of 300(?:, about \d+ (?:s|min) left)?$/.test(s.message)), `no RISE progress: ${JSON.stringify(seen)}`);
    assert.ok(seen.some((s) => /^occlusion: deletion and insertion scores$/.test(s.message)), 'the quality passes are named');
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i].fraction >= seen[i - 1].fraction, `fraction went back at ${seen[i].message}`);
    assert.ok(seen[seen.length - 1].fraction === 1);
  } finally {
    await model.dispose?.();
  }
});

test('Cancel stops occlusion between windows', async () => {
  const model = await openModel(MODEL);
  try {
    const ac = new AbortController();
    let after = 0;
    const run = explainModel(model, {
      methods: ['occlusion'], inputs: [{ file: INPUT }], options: { window: 2, stride: 1 }, signal: ac.signal,
      onProgress: (_, message) => {
        if (message.startsWith('occlusion: window')) {
          if (ac.signal.aborted) after++;
          ac.abort();
        }
      },
    });
    await assert.rejects(run, (e: Error) => e.name === 'AbortError');
    assert.equal(after, 0, 'no window was reported after Cancel');
  } finally {
    await model.dispose?.();
  }
});

test('the time left is the pace so far carried to the end, said in seconds or minutes', () => {
  assert.equal(timeLeftText(0.5, 10_000), ', about 10 s left');
  assert.equal(timeLeftText(0.25, 30_000), ', about 2 min left'); // 90 s
  assert.equal(timeLeftText(0.1, 60_000), ', about 9 min left');
  assert.equal(timeLeftText(0.5, 1_500), '', 'too early to tell');
  assert.equal(timeLeftText(1, 60_000), '', 'done');
  assert.equal(timeLeftText(0, 60_000), '', 'nothing done yet');
});
