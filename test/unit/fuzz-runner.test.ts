// The fuzz runner's hang verdict counts the worker's CPU time, not the wall clock: a worker that waits for a core on
// a loaded machine is not hung. A stopped process (SIGSTOP) is the extreme of that wait: it gets no CPU at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FuzzRunner } from '../fuzz/runner';

const model = { file: join(__dirname, '../../examples/tiny-cnn.onnx'), what: 'tiny-cnn.onnx as is' };

test('a case whose worker gets no CPU for longer than the hang limit is not a hang', async () => {
  const runner = new FuzzRunner({ hangMs: 500, maxRssGrowthMB: 1024 });
  try {
    assert.equal((await runner.run(model, 0)).kind, 'ok'); // starts the worker
    const pid = runner.pid!;
    process.kill(pid, 'SIGSTOP');
    // Three times the limit in wall time without a core, then the worker runs again and answers.
    const resume = setTimeout(() => process.kill(pid, 'SIGCONT'), 1500);
    try {
      const r = await runner.run(model, 1);
      assert.deepEqual(r, { kind: 'ok' });
    } finally {
      clearTimeout(resume);
      process.kill(pid, 'SIGCONT');
    }
  } finally {
    runner.dispose();
  }
});

test('a case that never answers is a hang after the wall-clock backstop, even without using CPU', async () => {
  const runner = new FuzzRunner({ hangMs: 500, stallMs: 1000, maxRssGrowthMB: 1024 });
  try {
    assert.equal((await runner.run(model, 0)).kind, 'ok');
    process.kill(runner.pid!, 'SIGSTOP');
    const r = await runner.run(model, 1);
    assert.equal(r.kind, 'hang');
    assert.ok(r.kind === 'hang' && r.cpuMs < 500, JSON.stringify(r));
    assert.equal(runner.pid, undefined, 'the stuck worker was dropped');
  } finally {
    runner.dispose();
  }
});
