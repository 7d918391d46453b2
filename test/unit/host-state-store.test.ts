import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostStateSchema, StateStore, type HostState } from '../../src/host/state-store';
import { num, obj, str } from '../../src/protocol/validate';
import { MapMemento } from '../support/map-memento';

/** A Memento: vscode's globalState has exactly this get/update shape and stores JSON-clonable values. */
type S = { zoom: number; panel: { tab: string } };
const schema = {
  zoom: { version: 1, check: num(0.1, 10), fallback: 1 },
  panel: { version: 2, check: obj({ tab: str(40) }), fallback: { tab: 'overview' } },
};

function store() {
  const memento = new MapMemento();
  const warnings: string[] = [];
  return { memento, warnings, s: new StateStore<S>(memento, schema, (m) => warnings.push(m)) };
}

test('values round-trip with their version; missing keys give the fallback without a warning', async () => {
  const { s, memento, warnings } = store();
  assert.equal(s.get('zoom'), 1);
  await s.set('zoom', 2.5);
  await s.set('panel', { tab: 'graph' }, '/m/a.onnx');
  assert.equal(s.get('zoom'), 2.5);
  assert.deepEqual(s.get('panel', '/m/a.onnx'), { tab: 'graph' });
  assert.deepEqual(s.get('panel', '/m/b.onnx'), { tab: 'overview' }, 'per-model entries are separate');
  assert.deepEqual(memento.get('modelInspector.zoom'), { v: 1, data: 2.5 });
  await s.delete('zoom');
  assert.equal(s.get('zoom'), 1);
  assert.deepEqual(warnings, []);
});

test('corrupt, wrong-typed, old-version and hostile stored values are discarded with a warning, never thrown', async () => {
  const bad: [string, unknown][] = [
    ['modelInspector.zoom', 'not an envelope'],
    ['modelInspector.zoom', { v: 1, data: 'big' }],
    ['modelInspector.zoom', { v: 1, data: 1e9 }],
    ['modelInspector.zoom', { v: 0, data: 2 }],
    ['modelInspector.zoom', { data: 2 }],
    ['modelInspector.zoom', [1, 2]],
    ['modelInspector.zoom', null],
    ['modelInspector.panel', { v: 2, data: { tab: 'graph', extra: 1 } }],
    ['modelInspector.panel', { v: 2, data: JSON.parse('{"tab":"x","__proto__":{"polluted":true}}') }],
    ['modelInspector.panel', { v: 2, data: { tab: 'x'.repeat(100) } }],
  ];
  for (const [key, value] of bad) {
    const { s, memento, warnings } = store();
    memento.map.set(key, value);
    const k = key === 'modelInspector.zoom' ? 'zoom' : 'panel';
    assert.deepEqual(s.get(k), schema[k].fallback, JSON.stringify(value));
    assert.equal(warnings.length, 1, JSON.stringify(value));
    assert.match(warnings[0], new RegExp(`^stored ${key.replace('.', '\\.')} was discarded: `));
    await new Promise((r) => setImmediate(r));
    assert.equal(memento.map.has(key), false, 'the bad value is removed so the warning is not repeated forever');
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  // A Memento that throws on read (a broken storage file) is survived too.
  const warnings: string[] = [];
  const broken = new StateStore<S>({ get: () => { throw new Error('disk on fire'); }, update: () => Promise.resolve() }, schema, (m) => warnings.push(m));
  assert.equal(broken.get('zoom'), 1);
  assert.match(warnings[0], /could not be read \(disk on fire\)/);
});

test('invalid or oversized values are refused on write and nothing is stored', async () => {
  const { s, memento } = store();
  await assert.rejects(s.set('zoom', 99), /cannot store modelInspector\.zoom: modelInspector\.zoom must be a number in \[0\.1, 10\]/);
  await assert.rejects(s.set('panel', { tab: 'graph', x: 1 } as never), /unexpected field "x"/);
  assert.equal(memento.map.size, 0);
  const big = new StateStore<{ blob: string }>(memento, { blob: { version: 1, check: str(1e6), fallback: '' } }, () => {});
  await assert.rejects(big.set('blob', 'y'.repeat(100_000)), /over the 65536 limit/);
  assert.equal(memento.map.size, 0);
});

test('the host schema: remembered run inputs are validated like a run request from the webview', async () => {
  const memento = new MapMemento();
  const warnings: string[] = [];
  const s = new StateStore<HostState>(memento, hostStateSchema, (m) => warnings.push(m));
  const inputs: HostState['runInputs'] = { inputs: [{ name: 'x', file: '/data/x.npy' }], dims: { batch: 1 }, runs: 5, providers: ['cpu'] };
  await s.set('runInputs', inputs, '/models/a.onnx');
  assert.deepEqual(s.get('runInputs', '/models/a.onnx'), inputs);
  memento.map.set('modelInspector.runInputs//models/b.onnx', { v: 1, data: { runs: 1e9, providers: ['evil'] } });
  assert.equal(s.get('runInputs', '/models/b.onnx'), null);
  assert.equal(warnings.length, 1);
});
