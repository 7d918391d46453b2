// `npm run bench -- graph [model-file]`: first paint, expand-all time and JS heap of the graph tab in headless
// Chromium, and the boxes drawn with everything expanded. Without a file it generates transformer-like models of
// ~1k, 5k and 20k nodes into .bench/. Each model is measured twice in the same run: with the default folding
// (constants as rows, shape plumbing as badges) and with everything shown as boxes (the Constants and Shape ops
// toggles on: every node a box, as before folding existed).
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { openModel } from '../../src/formats/registry';
import { mountGraph, scriptedHostData, startGraphPages } from '../../test/browser/graph-page';
import { makeTransformer } from './make-transformer';

async function heapMB(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
  await cdp.detach();
  return Math.round((usedSize / 2 ** 20) * 10) / 10;
}

export async function run(args: string[]): Promise<void> {
  const root = resolve(__dirname, '../..');
  let files = args.filter((a) => !a.startsWith('--'));
  if (!files.length) {
    const dir = join(root, '.bench');
    mkdirSync(dir, { recursive: true });
    files = [1000, 5000, 20000].map((n) => {
      const f = join(dir, `transformer-${n / 1000}k.onnx`);
      if (!existsSync(f)) writeFileSync(f, makeTransformer(n));
      return f;
    });
  }
  const pages = await startGraphPages();
  try {
    for (const file of files) {
      const model = await openModel(file);
      const data = await scriptedHostData(model, false);
      for (const fold of ['default', 'all shown'] as const) {
        const { page, problems } = await pages.open('dark', { width: 1400, height: 900 });
        // The toggles are the tab's own state, set before it mounts so the first paint already uses them.
        if (fold === 'all shown') await page.evaluate(`window.__fold = { showConstants: true, showShapeOps: true }`);
        const { firstPaintMs } = await mountGraph(page, data);
        const expandAllMs = (await page.evaluate(`(async () => {
          const g = document.getElementById('root').miGraph;
          // Main-thread long tasks during expand-all: if there are none, the time is the worker's.
          const long = [];
          const po = new PerformanceObserver((l) => { for (const e of l.getEntries()) long.push(Math.round(e.duration)); });
          po.observe({ type: 'longtask' });
          const t0 = performance.now();
          await g.expandAll();
          await new Promise((r) => requestAnimationFrame(r));
          const ms = performance.now() - t0;
          po.disconnect();
          window.__long = long;
          return ms;
        })()`)) as number;
        const info = (await page.evaluate(`(() => { const g = document.getElementById('root').miGraph; return { mode: g.timings.layoutMode, boxes: g.timings.boxes, shown: g.fold.showConstants, phases: { ...g.timings.phases, long: window.__long } }; })()`)) as { mode: string; boxes: number; shown: boolean; phases: unknown };
        if (info.shown !== (fold === 'all shown')) throw new Error('the fold setting did not reach the tab');
        const heap = await heapMB(page);
        if (problems.length) console.error(problems.join('\n'));
        console.log(JSON.stringify({
          model: basename(file), fold, nodes: model.graph.nodes.length, boxesAllExpanded: info.boxes, firstPaintMs: Math.round(firstPaintMs),
          expandAllMs: Math.round(expandAllMs), heapMB: heap, layout: info.mode, expandAllPhases: info.phases,
        }));
        await page.close();
      }
    }
  } finally {
    await pages.close();
  }
}
