// `npm run gpu-check [model.onnx] [--runs N]`: for every onnxruntime execution provider and TF.js backend, says whether
// it is available here, why not when it is not (the runtime's own error), and its latency on a conformance model.
// One JSON line per provider, then a readable table on stderr.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ORT_PROVIDERS, onnxProviderInfo } from '../src/runtime/backends/onnxruntime/providers';
import { loadOnnx } from '../src/runtime/backends/onnxruntime/session';
import { selectTfjsBackend } from '../src/runtime/backends/tfjs/backend';
import { synthesize } from '../src/runtime/synthesize';
import { concreteShape } from '../src/runtime/synthesize';
import { latencyStats } from '../src/runtime/output-summary';
import type { NdArray } from '../src/formats/arrays/ndarray';

const DEFAULT_MODEL = '/usr/share/libonnx-testdata/data/pytorch-converted/test_Conv2d/model.onnx';

interface Row {
  runtime: 'onnxruntime' | 'tfjs';
  provider: string;
  available: boolean;
  reason?: string;
  loadMs?: number;
  p50Ms?: number;
  p95Ms?: number;
  /** Kernels per provider on the first run: shows when an EP loaded but handed nodes to CPU. */
  placement?: Record<string, number>;
}

async function checkOrt(model: string, ep: string, runs: number): Promise<Row> {
  const info = onnxProviderInfo(ep);
  try {
    const s = await loadOnnx(model, { providers: [ep], placement: true });
    const feeds = new Map<string, NdArray>();
    s.inputs.forEach((i, k) => feeds.set(i.name, synthesize(i.dtype, concreteShape(i, {}, {}), 'normal', k)));
    const times: number[] = [];
    for (let i = 0; i < runs + 3; i++) {
      const t = performance.now();
      await s.run!(feeds);
      if (i >= 3) times.push(performance.now() - t);
    }
    const st = latencyStats(times);
    const row: Row = { runtime: 'onnxruntime', provider: ep, available: true, loadMs: round(s.loadMs), p50Ms: round(st.p50), p95Ms: round(st.p95), placement: s.placement };
    await s.dispose();
    return row;
  } catch (e) {
    const skipped = (e as { skipped?: { reason: string }[] }).skipped;
    const reason = !info.listed ? `not in this onnxruntime-node build for ${process.platform}-${process.arch}` : skipped?.at(-1)?.reason ?? (e as Error).message;
    return { runtime: 'onnxruntime', provider: ep, available: false, reason };
  }
}

async function checkTfjs(): Promise<Row[]> {
  // Each backend alone, in the runtime's own order; selectTfjsBackend remembers failures, so order matters little.
  const rows: Row[] = [];
  for (const b of ['tfjs-node', 'tfjs-wasm', 'tfjs-cpu']) {
    try {
      const { provider, skipped } = await selectTfjsBackend([b]);
      rows.push(provider === b ? { runtime: 'tfjs', provider: b, available: true } : { runtime: 'tfjs', provider: b, available: false, reason: skipped[0]?.reason });
    } catch (e) {
      rows.push({ runtime: 'tfjs', provider: b, available: false, reason: (e as Error).message.replace(/^.*?\(\S+: /, '').replace(/\)$/, '') });
    }
  }
  return rows;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const runsAt = args.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 20;
  const model = resolve(args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--runs') ?? DEFAULT_MODEL);
  if (!existsSync(model)) throw new Error(`${model}: not found (pass an ONNX model path)`);
  const rows: Row[] = [];
  for (const ep of ORT_PROVIDERS) rows.push(await checkOrt(model, ep, runs));
  rows.push(...(await checkTfjs()));
  for (const r of rows) console.log(JSON.stringify({ model: model.split('/').pop(), ...r }));
  console.error(`\nmodel: ${model}`);
  for (const r of rows) {
    const what = r.available ? (r.p50Ms !== undefined ? `p50 ${r.p50Ms} ms  p95 ${r.p95Ms} ms  load ${r.loadMs} ms` : 'available') : `unavailable: ${r.reason}`;
    const where = r.placement ? `  nodes: ${Object.entries(r.placement).map(([p, n]) => `${p} ${n}`).join(', ')}` : '';
    console.error(`  ${r.runtime.padEnd(11)} ${r.provider.padEnd(9)} ${what}${where}`);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
