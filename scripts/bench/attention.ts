// `npm run bench -- attention [model.onnx] [--tokens N]`: a long prompt (default 1,000 tokens) on a 12-layer, 12-head
// transformer (random weights, d=48; built by test/support/attention/transformers.py with Debian's torch), timed
// as the Attention tab sees it: the time to the grid (attentionMaps: every layer's probabilities read, summarised and
// shrunk to thumbnails), the time to one head's map, and the bytes each sends to the webview, against the bytes of
// all maps (what the webview never gets); then in the real webview (headless Chromium, the browser tests' harness)
// the time from the click to all thumbnails drawn and from a thumbnail's click to its map drawn. The raw baseline is
// one bare onnxruntime forward pass of the same prompt in the same run. Prints one JSON line.
import { dirname, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { openModel } from '../../src/formats/registry';
import { attentionHead, attentionMaps } from '../../src/runtime/lm/attention';
import { releaseModel } from '../../src/runtime/run-model';
import { benchModel } from '../../test/support/attention-models';
import { startHarness } from '../../test/browser/webview-harness';
import { summarize } from '../../src/runtime/summary';
import { mkdirSync, statSync } from 'node:fs';

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

export async function run(args: string[]): Promise<void> {
  const positional = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
  const path = positional[0] ? resolve(positional[0]) : benchModel();
  const n = Number(flag(args, 'tokens') ?? 1000);
  // xorshift ids below 256 (the bench model's vocabulary): deterministic, with repeats for the induction score
  let x = 12345;
  const ids = Array.from({ length: n }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % 256;
  });
  const prompt = ids.join(' ');

  const raw = await ort.InferenceSession.create(path, { executionProviders: ['cpu'] });
  const feeds = { input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, n]) };
  await raw.run(feeds);
  const r0 = performance.now();
  await raw.run(feeds);
  const rawMs = performance.now() - r0;
  await raw.release();

  const model = await openModel(path);
  try {
    const mem0 = process.memoryUsage().rss;
    const t0 = performance.now();
    const maps = await attentionMaps(model, { prompt });
    const gridMs = performance.now() - t0;
    const peakRssMB = Math.round((process.memoryUsage().rss - mem0) / 2 ** 20);
    if (maps.unavailable) throw new Error(maps.unavailable);
    const t1 = performance.now();
    const head = await attentionHead(model, { prompt, layer: maps.layers.length - 1, head: 0 });
    const headMs = performance.now() - t1;
    const heads = maps.layers[0].heads.length;
    const allMapsBytes = maps.layers.length * heads * n * n * 4;
    const browser = await inBrowser(model, path, prompt, maps.layers.length * heads);
    console.log(JSON.stringify({
      model: path.split('/').pop(), tokens: n, layers: maps.layers.length, heads,
      gridMs: Math.round(gridMs), rawForwardMs: Math.round(rawMs), ratio: Math.round((gridMs / rawMs) * 10) / 10,
      gridBytesToWebview: JSON.stringify(maps).length,
      thumbBytes: maps.thumbs!.rows * maps.thumbs!.cols * heads * maps.layers.length,
      headMs: Math.round(headMs), headBytesToWebview: JSON.stringify(head).length,
      allMapsBytes, rssGrowthMB: peakRssMB, ...browser,
    }));
  } finally {
    await releaseModel(model);
    await model.dispose?.();
  }
}

/** The Attention tab in headless Chromium, answered by the same functions: click → grid drawn, thumbnail → map drawn. */
async function inBrowser(model: Awaited<ReturnType<typeof openModel>>, path: string, prompt: string, thumbs: number) {
  const harness = await startHarness();
  const sent: Record<string, number> = {};
  const count = <T>(method: string, r: T): T => {
    sent[method] = (sent[method] ?? 0) + JSON.stringify(r).length;
    return r;
  };
  try {
    const v = await harness.open({
      view: 'panel', theme: 'dark', width: 1400, height: 1000,
      handlers: {
        getOverview: () => summarize(model, statSync(path).size),
        attentionMaps: async (p) => count('attentionMaps', await attentionMaps(model, p)),
        attentionHead: async (p) => count('attentionHead', await attentionHead(model, p)),
        // the lens is not part of the grid: answered with "unavailable" so it does not weigh on the timing
        logitLens: async () => ({ provider: '', tokenizer: '', tokens: [], position: 0, layers: [], unavailable: 'not measured', ms: 0, notes: [] }),
      },
      onReady: (rpc) => rpc.emit('init', { view: 'panel', fileName: 'model.onnx', trusted: true }),
    });
    const { page } = v;
    await page.locator('#mi-node-count').waitFor({ timeout: 60_000 });
    await page.locator('[data-tab="attention"]').click();
    await page.locator('#mi-attn-prompt').fill(prompt);
    const t0 = performance.now();
    await page.locator('#mi-attn-run').click();
    await page.locator(`canvas.mi-attn-thumb >> nth=${thumbs - 1}`).waitFor({ timeout: 600_000 });
    const browserGridMs = performance.now() - t0;
    await page.locator('#mi-attn-role').waitFor({ state: 'visible' });
    const t1 = performance.now();
    await page.locator('#mi-attn-scale').selectOption('row');
    await page.locator('canvas.mi-attn-thumb[data-layer="11"][data-head="11"]').click();
    await page.locator('#mi-attn-role', { hasText: 'Layer 11, head 11' }).waitFor({ timeout: 60_000 });
    const browserHeadMs = performance.now() - t1;
    const shot = resolve(__dirname, '../../test-artifacts/attention-bench.png');
    mkdirSync(dirname(shot), { recursive: true });
    await page.screenshot({ path: shot, fullPage: true });
    await v.close();
    return { browserGridMs: Math.round(browserGridMs), browserHeadMs: Math.round(browserHeadMs), bytesSentToWebview: sent };
  } finally {
    await harness.close();
  }
}
