// The Graph's way into the Attention tab: a Softmax that holds a layer's attention, and a group holding one, show an
// "Attention maps" button whose click navigates to the Attention tab with that node or group.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openModel } from '../../src/formats/registry';
import type { GraphPageServer } from './graph-page';
import { mountGraph, scriptedHostData, startGraphPages, waitFor } from './graph-page';
import { attentionModels, torchUnavailable } from '../support/attention-models';

const skip = torchUnavailable();
let pages: GraphPageServer;
before(async () => {
  pages = await startGraphPages();
});
after(() => pages?.close());

const G = `document.getElementById('root').miGraph`;

test('a Softmax and its layer\'s group link to their attention maps; other nodes do not', { skip }, async () => {
  const model = await openModel(join(attentionModels(), 'l2-bidir', 'model.onnx'));
  const data = await scriptedHostData(model);
  const { page, problems } = await pages.open('dark');
  try {
    await mountGraph(page, data);
    const main = JSON.parse(data.graphs['']) as { nodes: { id: string; op: number; kind: string; scope: number }[]; ops: string[]; scopes: string[] };
    const softmax = main.nodes.find((n) => n.kind === 'op' && main.ops[n.op] === 'Softmax' && main.scopes[n.scope] === 'blocks.1')!;
    assert.ok(softmax, main.scopes.join(', '));
    const matmul = main.nodes.find((n) => n.kind === 'op' && main.ops[n.op] === 'MatMul')!;
    await page.evaluate(`${G}.focusNode(${JSON.stringify(matmul.id)})`);
    await page.locator('.side h3', { hasText: 'MatMul' }).waitFor({ timeout: 5000 });
    assert.equal(await page.locator('.side button.mi-attn-link').count(), 0, 'no link under a MatMul');
    await page.evaluate(`${G}.focusNode(${JSON.stringify(softmax.id)})`);
    await page.locator('.side button.mi-attn-link').click({ timeout: 5000 });
    const nav = await page.evaluate('window.__log.navigate') as [string, unknown][];
    assert.deepEqual(nav.at(-1), ['attention', { nodeId: softmax.id }]);
    // the group of layer 1: its summary has the button too, naming the group
    const scope = main.scopes.indexOf('blocks.1');
    assert.ok(scope > 0, main.scopes.join(', '));
    await page.evaluate(`${G}.select(${G}.vm.n + ${scope})`);
    await page.locator('.side button.mi-attn-link').click({ timeout: 5000 });
    const nav2 = await page.evaluate('window.__log.navigate') as [string, unknown][];
    assert.deepEqual(nav2.at(-1), ['attention', { scope: 'blocks.1' }]);
    await waitFor(page, 'true');
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
    await model.dispose?.();
  }
});
