import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCount, formatShape, sortedOpCounts } from '../../webview/overview/format';
import { fileSizeText, formatBytes } from '../../src/protocol/summary';

test('counts are humanised to at most three significant digits', () => {
  const cases: [number, string][] = [
    [0, '0'], [7, '7'], [999, '999'], [1000, '1.0 K'], [1234, '1.2 K'], [99_949, '99.9 K'], [123_456, '123 K'],
    [999_999, '1.0 M'], [1_234_567, '1.2 M'], [25_557_032, '25.6 M'], [7_000_000_000, '7.0 B'], [-1500, '-1.5 K'],
  ];
  for (const [n, s] of cases) assert.equal(formatCount(n), s, String(n));
});

test('bytes use decimal units', () => {
  const cases: [number, string][] = [[0, '0 B'], [999, '999 B'], [1000, '1.0 KB'], [4_800_000, '4.8 MB'], [102_800_000, '102.8 MB'], [3.2e9, '3.2 GB']];
  for (const [n, s] of cases) assert.equal(formatBytes(n), s, String(n));
  // The model file plus its external data, in the same units.
  assert.equal(fileSizeText({ fileBytes: 2_048, dataFiles: { count: 1, bytes: 4_096 } }), '2.0 KB + 1 data file (4.1 KB)');
  assert.equal(fileSizeText({ fileBytes: 690 }), '690 B');
});

test('shapes and op order', () => {
  assert.equal(formatShape([1, 3, 224, 224]), '[1, 3, 224, 224]');
  assert.equal(formatShape(['batch', 128, '?']), '[batch, 128, ?]');
  assert.equal(formatShape([]), 'scalar');
  assert.equal(formatShape(null), 'unknown');
  assert.deepEqual(sortedOpCounts({ Relu: 2, Conv: 2, Add: 5, Gemm: 1 }), [['Add', 5], ['Conv', 2], ['Relu', 2], ['Gemm', 1]]);
});
