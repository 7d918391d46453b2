// "Compare With…" through the host's panel glue and the real engine process: the page's compareWith call gets the
// engine's comparison of the panel's model with the file the command chose, and the view names B by its file name
// (the Compare tab's headline reads "a.onnx vs b.onnx", as the protocol promises), never by its full path.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { EngineClient } from '../../src/engine/client';
import { openModel } from '../../src/formats/registry';
import { RpcEndpoint } from '../../src/protocol/rpc';
import type { HostEvents, HostMethods, WebviewEvents, WebviewMethods } from '../../src/protocol/webview';
import { ModelHandle } from '../../src/host/model-handle';
import { PanelSession } from '../../src/host/panel-session';
import { buildEngine } from '../support/build-engine';
import { memoryChannel } from '../support/memory-channel';

const example = join(__dirname, '../../examples/tiny-cnn.onnx');
let engine: EngineClient;
let tmp: string;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'mi-host-compare-'));
  engine = new EngineClient({ enginePath: await buildEngine(), maxOldSpaceMb: 1024 });
});
after(() => {
  engine?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

/** A copy of the example with the first float of its largest float32 initializer moved by 0.5; returns its name. */
function perturb(to: string): string {
  const m = onnx.ModelProto.decode(readFileSync(example));
  const count = (t: onnx.ITensorProto) => (t.dims ?? []).reduce<number>((a, d) => a * Number(d), 1);
  const t = m.graph!.initializer!.filter((x) => x.dataType === onnx.TensorProto.DataType.FLOAT).sort((a, b) => count(b) - count(a))[0];
  const raw = Buffer.from(t.rawData!);
  raw.writeFloatLE(raw.readFloatLE(0) + 0.5, 0);
  t.rawData = raw;
  writeFileSync(to, onnx.ModelProto.encode(m).finish());
  return t.name!;
}

test('Compare With… (B chosen by the command): the page gets the comparison, B named by its file name', async () => {
  const aPath = join(tmp, 'a.onnx');
  const b = join(tmp, 'b-tuned.onnx');
  copyFileSync(example, aPath);
  const changed = perturb(b);
  const [hostSide, pageSide] = memoryChannel();
  const model = new ModelHandle(aPath, 'a.onnx', () => engine, () => undefined);
  const session = new PanelSession({ transport: hostSide, model, engine: () => engine, isTrusted: () => true, log: () => undefined });
  const page = new RpcEndpoint<WebviewMethods, HostMethods, HostEvents, WebviewEvents>(pageSide, {}, { defaultTimeoutMs: 60_000 });
  const announced: unknown[] = [];
  page.on('compareWith', (p) => announced.push(p));
  try {
    session.startCompare(b);
    page.sendReady({});
    const view = await page.call('compareWith', { outputs: false });
    assert.ok(view);
    assert.equal(view.other, 'b-tuned.onnx');
    assert.deepEqual(announced, [{ other: 'b-tuned.onnx' }]);
    const moved = view.json.tensors.filter((t) => (t.relChange ?? 0) > 0).map((t) => t.name);
    assert.deepEqual(moved, [changed]);
    assert.equal(view.json.nodes.added.length + view.json.nodes.removed.length + view.json.nodes.changed.length, 0);
    // Show on graph: same structure, so only the node reading the moved weight stands out (0.25); the others are 0.
    const a = await openModel(aPath);
    const readers = a.graph.nodes.filter((n) => n.inputs.includes(changed)).map((n) => n.id);
    assert.equal(readers.length, 1);
    assert.deepEqual(view.overlay.values, Object.fromEntries(a.graph.nodes.map((n) => [n.id, readers.includes(n.id) ? 0.25 : 0])));
    await a.dispose?.();
  } finally {
    session.dispose();
    await model.close();
  }
});
