// The e2e harness computes what the Overview must show by opening each model in the test process
// (test/e2e/driver/expected.ts): it must close what it opens. A handle left to the garbage collector made Node print
// "Closing file descriptor … on garbage collection" in the middle of the SafeTensors and GGUF scenarios.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { expectedCounts, expectedSummary } from '../e2e/driver/expected';

const fixtures = join(__dirname, '../fixtures');

/** Descriptors this process holds open on `file`. */
function openOn(file: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false; // closed meanwhile (the listing's own descriptor)
    }
  }).length;
}

test('expectedSummary and expectedCounts leave no file open, for every format the formats scenario opens', async () => {
  for (const f of ['keras/tiny-mlp.keras', 'keras/tiny-mlp.h5', 'tflite/cnn_float.tflite', 'safetensors/tiny.safetensors', 'gguf/tiny.gguf', 'pytorch/state_dict.pt']) {
    const path = join(fixtures, f);
    const summary = await expectedSummary(path);
    assert.ok(summary.parameterCount > 0, f);
    assert.equal(openOn(path), 0, `${f}: left open by expectedSummary`);
    const counts = await expectedCounts(path);
    assert.ok(counts.weights > 0, f);
    assert.equal(openOn(path), 0, `${f}: left open by expectedCounts`);
  }
});
