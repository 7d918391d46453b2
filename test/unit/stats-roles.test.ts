import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Model } from '../../src/model/graph';
import { isParameter, tensorRole } from '../../src/model/tensor';
import { allWeights } from '../../src/model/walk';
import { openModel } from '../../src/formats/registry';
import { summarize } from '../../src/runtime/summary';
import { roleFromName } from '../../src/formats/tensor-roles';
import { computeModelStats } from '../../src/stats';
import type { ModelStats } from '../../src/protocol/stats';
import { OnnxBuilder, writeModel } from '../support/onnx-builder';

const FIX = join(__dirname, '..', 'fixtures');
const truth = JSON.parse(readFileSync(join(FIX, 'roles', 'truth.json'), 'utf8')) as {
  'bn-adam.pth': { roles: Record<string, string>; parameterCount: number; optimizerElements: number; counters: number };
  'keras2-adam.h5': { parameterCount: number; optimizerTensors: number; optimizerElements: number; counters: number };
} & Record<'savedmodel-adam' | 'savedmodel-adam-legacy', { roles: Record<string, string>; parameterCount: number; optimizerElements: number; counters: number }>;

async function withModel<T>(path: string, f: (m: Model) => Promise<T>): Promise<T> {
  const m = await openModel(path);
  try {
    return await f(m);
  } finally {
    await m.dispose?.();
  }
}

/** The health report and the model aggregate speak of weights only. */
function assertWeightsOnly(m: Model, s: ModelStats): void {
  const notWeights = new Set(allWeights(m).filter((t) => tensorRole(t) !== 'weight').map((t) => t.name));
  assert.ok(notWeights.size > 0, 'the file holds tensors that are not weights');
  const about = s.findings.filter((f) => notWeights.has(f.tensor)).map((f) => `${f.kind}:${f.tensor}`);
  assert.deepEqual(about, [], 'no finding names a counter, buffer, optimizer slot or constant');
  assert.deepEqual(s.findings.filter((f) => f.kind === 'exploding').map((f) => f.tensor), []);
  assert.equal(s.model.tensors, allWeights(m).length - notWeights.size);
  for (const t of s.tensors) assert.equal(t.role, notWeights.has(t.name) ? tensorRole(allWeights(m).find((w) => w.name === t.name)!) : undefined, t.name);
}

test('a torch checkpoint (BatchNorm + Adam): roles as torch knows them, parameters without the optimizer, no false findings', async () => {
  const want = truth['bn-adam.pth'];
  await withModel(join(FIX, 'roles', 'bn-adam.pth'), async (m) => {
    const tensors = allWeights(m);
    assert.deepEqual(tensors.map((t) => t.name).sort(), Object.keys(want.roles).sort());
    for (const t of tensors) {
      const role = want.roles[t.name];
      // A state dict cannot tell a float buffer from a parameter by name; both are read by the forward pass.
      if (role === 'weight' || role === 'buffer') assert.ok(isParameter(t), `${t.name}: ${tensorRole(t)}`);
      else assert.equal(tensorRole(t), role, t.name);
    }
    assert.equal(tensorRole(tensors.find((t) => t.name === 'model.bn1.running_var')!), 'buffer');
    const s = summarize(m);
    assert.equal(s.parameterCount, want.parameterCount);
    assert.equal(s.otherTensors?.optimizer?.elements, want.optimizerElements);
    assert.equal(s.otherTensors?.counter?.count, want.counters);
    assert.equal(s.weightCount + s.otherTensors!.optimizer!.count + s.otherTensors!.counter!.count, tensors.length);
    const stats = await computeModelStats(m, { workers: 0 });
    // Without roles: num_batches_tracked and step (50000) "exploding" and "duplicate", the pruned channels' zero Adam
    // moments "dead channels", and the model's max set by a step counter.
    assertWeightsOnly(m, stats);
    assert.deepEqual(stats.findings.filter((f) => f.kind === 'duplicate' || f.kind === 'dead-channels'), []);
    assert.ok(stats.model.max! < 10, `model max ${stats.model.max}`);
    // The rest keep their own numbers in the table.
    assert.equal(stats.tensors.find((t) => t.name === 'model.bn1.num_batches_tracked')?.max, 50000);
  });
});

test('a Keras 2 save with optimizer weights: Keras\'s parameter count, the optimizer listed apart, moving statistics not "exploding"', async () => {
  const want = truth['keras2-adam.h5'];
  await withModel(join(FIX, 'roles', 'keras2-adam.h5'), async (m) => {
    const s = summarize(m);
    assert.equal(s.parameterCount, want.parameterCount);
    assert.deepEqual(s.otherTensors, {
      optimizer: { count: want.optimizerTensors, elements: want.optimizerElements, bytes: want.optimizerElements * 4 },
      counter: { count: want.counters, elements: 1, bytes: 8 },
    });
    assert.equal(tensorRole(allWeights(m).find((t) => t.name === 'batch_normalization/moving_variance')!), 'buffer');
    assertWeightsOnly(m, await computeModelStats(m, { workers: 0 }));
  });
});

test('a Keras 3 archive with optimizer variables lists them apart, as many as it holds', async () => {
  await withModel(join(FIX, 'keras', 'tiny-cnn.keras'), async (m) => {
    const s = summarize(m);
    assert.equal(s.otherTensors?.optimizer?.count, Number(m.metadata.optimizer_variables));
    const stats = await computeModelStats(m, { workers: 0 });
    // Its Adam moments are all zeros: as weights they were "all-zero" and "duplicate" of each other.
    assertWeightsOnly(m, stats);
  });
});

test('ONNX: shape, padding and fill constants are constants, BatchNormalization statistics buffers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mi-roles-'));
  try {
    const b = new OnnxBuilder()
      .opset('', 17)
      .input('x', 'float32', [1, 3, 8, 8])
      .output('y', 'float32', [1, 16384])
      .initializer('conv.w', 'float32', [4, 3, 3, 3], Array.from({ length: 108 }, (_, i) => Math.sin(i) * 0.2))
      .initializer('pads', 'int64', [8], [0n, 0n, 1n, 1n, 0n, 0n, 1n, 1n])
      .initializer('bn.scale', 'float32', [4], [1, 1.1, 0.9, 1])
      .initializer('bn.bias', 'float32', [4], [0, 0.1, -0.1, 0.2])
      .initializer('bn.mean', 'float32', [4], [120, 130, 110, 125])
      .initializer('bn.var', 'float32', [4], [12000, 15000, 9000, 20000])
      .initializer('shape', 'int64', [2], [1n, 16384n])
      .initializer('fill', 'float32', [], [-1e9])
      .node('Pad', ['x', 'pads'], ['xp'])
      .node('Conv', ['xp', 'conv.w'], ['c'])
      .node('BatchNormalization', ['c', 'bn.scale', 'bn.bias', 'bn.mean', 'bn.var'], ['n'])
      .node('Tile', ['n', 'shape'], ['t'])
      .node('Reshape', ['t', 'shape'], ['r'])
      .node('Max', ['r', 'fill'], ['y']);
    const path = writeModel(dir, 'roles.onnx', b);
    await withModel(path, async (m) => {
      const roles = Object.fromEntries(allWeights(m).map((t) => [t.name, tensorRole(t)]));
      assert.deepEqual(roles, {
        'conv.w': 'weight', pads: 'constant', 'bn.scale': 'weight', 'bn.bias': 'weight', 'bn.mean': 'buffer', 'bn.var': 'buffer', shape: 'constant', fill: 'constant',
      });
      const s = summarize(m);
      assert.equal(s.parameterCount, 108 + 4 * 4);
      assert.deepEqual(s.otherTensors, { constant: { count: 3, elements: 11, bytes: 8 * 8 + 2 * 8 + 4 } });
      // Without roles: the shape (16384), the fill (-1e9) and the running variance are "exploding".
      assertWeightsOnly(m, await computeModelStats(m, { workers: 0 }));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SavedModel: save_counter and global_step are counters, not parameters', async () => {
  for (const [dir, key] of [['dense', 'save_counter/.ATTRIBUTES/VARIABLE_VALUE'], ['tf1', 'global_step']]) {
    await withModel(join(FIX, 'savedmodel', dir, 'saved_model.pb'), async (m) => {
      const s = summarize(m);
      const floats = allWeights(m).filter((t) => t.dtype === 'float32');
      assert.equal(s.parameterCount, floats.reduce((n, t) => n + t.elementCount, 0), dir);
      assert.deepEqual(s.otherTensors, { counter: { count: 1, elements: 1, bytes: 8 } }, dir);
      assert.equal(tensorRole(allWeights(m).find((t) => t.name === key)!), 'counter');
      assertWeightsOnly(m, await computeModelStats(m, { workers: 0 }));
    });
  }
});

for (const dir of ['savedmodel-adam', 'savedmodel-adam-legacy'] as const) {
  test(`a SavedModel trained with Adam (${dir}): parameters are what the serving graph reads, slots and counters apart`, async () => {
    const want = truth[dir];
    await withModel(join(FIX, 'roles', dir), async (m) => {
      for (const t of allWeights(m)) assert.equal(tensorRole(t), want.roles[t.name], t.name);
      const s = summarize(m);
      // Before roles: 3x the parameters (Adam's two slots per variable), and a warning that they were counted.
      assert.equal(s.parameterCount, want.parameterCount);
      assert.equal(s.otherTensors?.optimizer?.elements, want.optimizerElements);
      assert.equal(s.otherTensors?.counter?.count, want.counters);
      assert.deepEqual(s.warnings, []);
      // The metric's running count (1.6e6) and the iteration count were "exploding" weights.
      assertWeightsOnly(m, await computeModelStats(m, { workers: 0 }));
    });
  });
}

test('checkpoint key names TF and Keras write for optimizer slots and counters', () => {
  const cases: [string, number, string | undefined][] = [
    ['layer_with_weights-0/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE', 128, 'optimizer'],
    ['layer_with_weights-0/bias/.OPTIMIZER_SLOT/optimizer/v/.ATTRIBUTES/VARIABLE_VALUE', 8, 'optimizer'],
    ['optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE', 1, 'counter'],
    ['optimizer/learning_rate/.ATTRIBUTES/VARIABLE_VALUE', 1, 'optimizer'],
    ['optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE', 1, 'counter'],
    ['optimizer/_variables/3/.ATTRIBUTES/VARIABLE_VALUE', 128, 'optimizer'],
    ['save_counter/.ATTRIBUTES/VARIABLE_VALUE', 1, 'counter'],
    ['layer_with_weights-0/moving_variance/.ATTRIBUTES/VARIABLE_VALUE', 8, 'buffer'],
    ['layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE', 128, undefined],
    ['dense/kernel/Adam_1', 128, 'optimizer'],
    ['beta1_power', 1, 'optimizer'],
    ['training/Adam/dense/kernel/m', 128, 'optimizer'],
    ['optimizer_state_dict.state.3.exp_avg_sq', 64, 'optimizer'],
    ['state.0.momentum_buffer', 64, 'optimizer'],
    // A module that happens to be called "state" holds weights.
    ['encoder.state.0.weight', 64, undefined],
    ['bn.num_batches_tracked', 1, 'counter'],
    ['h.0.attn.masked_bias', 1, 'buffer'],
    ['bert.embeddings.position_ids', 512, 'buffer'],
    ['model.layers.0.self_attn.rotary_emb.inv_freq', 64, 'buffer'],
  ];
  for (const [name, n, role] of cases) assert.equal(roleFromName(name, n), role, name);
});
