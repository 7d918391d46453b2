// `npm run bench -- oip [--runs N] [--rounds R] [--max-batch B] [--widen K]`: our inference-server client against the
// same server called directly from this script with fetch, in the same run. The server (test/support/oip-server.ts over
// onnxruntime-node, binary tensor data) runs in a child process. Two lines:
//   run: our session's run (what runModel times) vs a bare fetch posting the same input, alternated  (target ≤ 1.1)
//   occlusion: one batched occlusion explain vs the same batches (recorded from ours) posted by the bare loop (≤ 1.2)
// Each side keeps its best over R rounds (default 5), the rounds alternating ours and direct; the occlusion line also
// gives the median of the rounds' own ratios (each round's two sides measured back to back: steadier on a busy host).
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { runModel } from '../../src/runtime/run-model';
import { explainModel } from '../../src/explain/explain';
import { sessions } from '../../src/runtime/load';
import { tensorRun } from '../../src/runtime/session';
import { configureRuntime } from '../../src/runtime/settings';
import { makeCnn } from './make-cnn';

function flag(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

/** What a script would write to call the server itself: binary request, binary answer, one Float32Array out. */
async function direct(url: string, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const head = Buffer.from(JSON.stringify({ inputs: [{ name: 'image', shape, datatype: 'FP32', parameters: { binary_data_size: x.byteLength } }], outputs: [{ name: 'logits', parameters: { binary_data: true } }] }));
  const body = Buffer.concat([head, Buffer.from(x.buffer, x.byteOffset, x.byteLength)]);
  const res = await fetch(`${url}/v2/models/bench/infer`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(head.length) }, body });
  const buf = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`direct call answered ${res.status}`);
  const hl = Number(res.headers.get('inference-header-content-length'));
  JSON.parse(new TextDecoder().decode(buf.subarray(0, hl)));
  return new Float32Array(buf.slice(hl).buffer);
}

export async function run(args: string[]): Promise<void> {
  const runs = flag(args, 'runs', 50);
  const rounds = flag(args, 'rounds', 5);
  const maxBatch = flag(args, 'max-batch', 16);
  const tmp = mkdtempSync(join(tmpdir(), 'bench-oip-'));
  const path = makeCnn(tmp, 'bench-cnn.onnx', flag(args, 'widen', 1));
  const child = fork(join(__dirname, 'oip-serve.ts'), [path, String(maxBatch)], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const url = await new Promise<string>((resolve) => child.once('message', (m: { url: string }) => resolve(m.url)));
  try {
    configureRuntime({ devices: {}, servers: { [path]: { url, model: 'bench' } } });
    const model = await openModel(path);
    const shape = [1, 3, 64, 64];
    const x = Float32Array.from({ length: 3 * 64 * 64 }, (_, i) => Math.sin(i));
    const feeds = new Map([['image', { dtype: 'float32' as const, shape, data: x }]]);

    // One run: runModel's own latency figure (its session's run: encode, request, decode, checks) against the bare
    // call, alternating request by request so that a busy machine weighs on both sides alike.
    const s = (await runModel(model, { runs: 3, warmup: 1, feeds })).summary;
    if (!s.server) throw new Error('the model did not run on the server');
    const { session } = await sessions.get(model, {});
    const one = tensorRun(session, path);
    // Also this process's CPU time per request (encode, HTTP, decode, checks): what our code adds, which other
    // processes' load on a shared host barely moves.
    let ours = Infinity;
    let bare = Infinity;
    let cpu = 0;
    let cpuBare = 0;
    const cpuOf = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
    for (let r = 0; r < rounds; r++) {
      let a = 0;
      let b = 0;
      for (let i = 0; i < runs; i++) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await one(feeds);
        const t1 = performance.now();
        const c1 = process.cpuUsage();
        await direct(url, x, shape);
        b += performance.now() - t1;
        cpuBare += cpuOf(process.cpuUsage(c1));
        a += t1 - t0;
        cpu += cpuOf(process.cpuUsage(c0)) - cpuOf(process.cpuUsage(c1));
      }
      ours = Math.min(ours, a / runs);
      bare = Math.min(bare, b / runs);
    }
    cpu /= rounds * runs;
    cpuBare /= rounds * runs;
    console.log(JSON.stringify({ bench: 'oip run', server: url, runs, ms: +ours.toFixed(3), directMs: +bare.toFixed(3), ratio: +(ours / bare).toFixed(3), clientCpuMs: +cpu.toFixed(3), directClientCpuMs: +cpuBare.toFixed(3) }));

    // Batched occlusion: the batches our explain sent, replayed by the bare loop.
    const batches: number[][] = [];
    const inner = session.run!.bind(session);
    (session as { run: typeof inner }).run = (f, o) => {
      batches.push(f.get('image')!.shape.slice());
      return inner(f, o);
    };
    const params = { methods: ['occlusion' as const], seed: 1, options: { window: 8, stride: 4 } };
    await explainModel(model, params); // warm-up
    let oursOcc = Infinity;
    let bareOcc = Infinity;
    const roundRatios: number[] = [];
    let shapes: number[][] = [];
    const inputs = new Map<string, Float32Array>();
    for (let r = 0; r < rounds; r++) {
      batches.length = 0;
      const t0 = performance.now();
      await explainModel(model, params);
      const oursMs = performance.now() - t0;
      oursOcc = Math.min(oursOcc, oursMs);
      shapes = batches.slice();
      const t1 = performance.now();
      for (const s of shapes) {
        const key = s.join('x');
        if (!inputs.has(key)) inputs.set(key, new Float32Array(s.reduce((a, b) => a * b, 1)).fill(0.5));
        await direct(url, inputs.get(key)!, s);
      }
      bareOcc = Math.min(bareOcc, performance.now() - t1);
      roundRatios.push(oursMs / (performance.now() - t1));
    }
    roundRatios.sort((a, b) => a - b);
    const passes = shapes.reduce((a, s) => a + s[0], 0);
    console.log(JSON.stringify({ bench: 'oip occlusion', requests: shapes.length, passes, maxBatch: Math.max(...shapes.map((s) => s[0])), ms: +oursOcc.toFixed(1), directMs: +bareOcc.toFixed(1), ratio: +(oursOcc / bareOcc).toFixed(3), medianRoundRatio: +roundRatios[roundRatios.length >> 1].toFixed(3) }));
    await sessions.clear();
    await model.dispose?.();
  } finally {
    child.disconnect();
    rmSync(tmp, { recursive: true, force: true });
  }
}
