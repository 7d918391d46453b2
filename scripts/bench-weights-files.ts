// `node --import tsx scripts/bench-weights-files.ts [--gb 1]`: writes a SafeTensors and a GGUF file of about that
// size into a temp folder (deleted afterwards) and prints one JSON line per measurement, each with its raw baseline
// from the same run: opening to a summary vs reading the header + one stat, and the weight histograms through the
// stats module (what `stats --json` runs) vs one plain chunked read of the whole file.
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../src/formats/registry';
import { summarize } from '../src/runtime/summary';
import { ggufReader } from '../src/formats/gguf/reader';
import { safetensorsReader } from '../src/formats/safetensors/reader';
import { computeModelStats } from '../src/stats';
import { ggufBytes, type KvValue } from '../test/support/gguf-writer';

const MB = 1024 * 1024;

/** A fast deterministic generator (xorshift32): the data only needs to vary, not to be good randomness. */
function filler(seed: number): (out: Uint32Array) => void {
  let s = seed >>> 0 || 1;
  return (out) => {
    for (let i = 0; i < out.length; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      out[i] = s >>> 0;
    }
  };
}

/** Half-float bits for a value drawn from [-2^(e-14), 2^(e-14)) with e in 8..8+spread: finite, tensor-specific. */
function halfBits(u: Uint32Array, spread: number): void {
  const h = new Uint16Array(u.buffer, u.byteOffset, u.length * 2);
  for (let i = 0; i < h.length; i++) {
    const r = h[i];
    h[i] = (r & 0x83ff) | ((8 + ((r >>> 10) & 31) % spread) << 10);
  }
}

function writeChunks(fd: number, bytes: number, fill: (chunk: Uint8Array) => void): void {
  const chunk = new Uint8Array(16 * MB);
  for (let done = 0; done < bytes; ) {
    const n = Math.min(chunk.length, bytes - done);
    const view = chunk.subarray(0, n);
    fill(view);
    writeSync(fd, view);
    done += n;
  }
}

interface Spec { name: string; kind: 'F16' | 'F32' | 'Q8_0' | 'Q4_0'; rows: number; cols: number }
const BYTES: Record<Spec['kind'], (n: number) => number> = { F16: (n) => n * 2, F32: (n) => n * 4, Q8_0: (n) => (n / 32) * 34, Q4_0: (n) => (n / 32) * 18 };

/** The tensors of a ~`gb` GB checkpoint: 4096-wide matrices, a transformer block's worth at a time. */
function specs(gb: number, quantized: boolean): Spec[] {
  const out: Spec[] = [];
  let total = 0;
  for (let b = 0; total < gb * 1024 * MB; b++) {
    const block: Spec[] = [
      { name: `blk.${b}.attn_norm.weight`, kind: 'F32', rows: 1, cols: 4096 },
      { name: `blk.${b}.attn_q.weight`, kind: quantized ? 'Q8_0' : 'F16', rows: 4096, cols: 4096 },
      { name: `blk.${b}.attn_k.weight`, kind: quantized ? 'Q4_0' : 'F16', rows: 1024, cols: 4096 },
      { name: `blk.${b}.ffn_up.weight`, kind: quantized ? 'Q4_0' : 'F16', rows: 8192, cols: 4096 },
      { name: `blk.${b}.ffn_down.weight`, kind: 'F16', rows: 4096, cols: 2048 },
      { name: `blk.${b}.ffn_gate.weight`, kind: quantized ? 'Q8_0' : 'F32', rows: 1024, cols: 4096 },
    ];
    for (const s of block) {
      out.push(s);
      total += BYTES[s.kind](s.rows * s.cols);
    }
  }
  return out;
}

/** Tensor bytes of one spec, written chunk by chunk (block scales patched to finite halves). */
function tensorWriter(s: Spec, seed: number): (chunk: Uint8Array) => void {
  const next = filler(seed);
  const spread = 1 + (seed % 5);
  let pos = 0; // bytes written so far, to find block boundaries across chunks
  return (chunk) => {
    const u = new Uint32Array(chunk.buffer, chunk.byteOffset, chunk.length >> 2);
    next(u);
    if (s.kind === 'F16') halfBits(u, spread);
    else if (s.kind === 'F32') {
      const f = new Float32Array(chunk.buffer, chunk.byteOffset, u.length);
      for (let i = 0; i < u.length; i++) f[i] = (u[i] / 4294967296 - 0.5) * spread;
    } else {
      const block = s.kind === 'Q8_0' ? 34 : 18;
      // Small positive halves, a different one per block as real quantizers make them (~1000 distinct per tensor).
      for (let at = (block - (pos % block)) % block; at + 1 < chunk.length; at += block) {
        const scale = 0x2000 + spread * 0x100 + (u[(at >> 2) % u.length] & 0x3ff);
        chunk[at] = scale & 255;
        chunk[at + 1] = scale >> 8;
      }
    }
    pos += chunk.length;
  };
}

function writeSafetensors(path: string, tensors: Spec[]): number {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let at = 0;
  for (const t of tensors) {
    const n = BYTES[t.kind](t.rows * t.cols);
    header[t.name] = { dtype: t.kind, shape: [t.rows, t.cols], data_offsets: [at, at + n] };
    at += n;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const head = Buffer.from(json);
  const fd = openSync(path, 'w');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(head.length));
  writeSync(fd, len);
  writeSync(fd, head);
  tensors.forEach((t, i) => writeChunks(fd, BYTES[t.kind](t.rows * t.cols), tensorWriter(t, i + 1)));
  closeSync(fd);
  return 8 + head.length;
}

/** A GGUF v3 file with a 32k-token vocabulary (a realistic header) and the tensors; returns the data offset. */
function writeGguf(path: string, tensors: Spec[]): number {
  const types = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8 };
  const kv: [string, KvValue][] = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['llama.context_length', { type: 'u32', value: 4096 }],
    ['tokenizer.ggml.tokens', { type: 'array', of: 'string', value: Array.from({ length: 32000 }, (_, i) => `token_${i}`) }],
  ];
  // The header only (tensor sizes reserved); the gigabyte of data is streamed after it.
  const specs = tensors.map((t) => ({ name: t.name, dims: [t.cols, t.rows], type: types[t.kind], bytes: new Uint8Array(0), reserve: BYTES[t.kind](t.rows * t.cols) }));
  const head = ggufBytes(kv, specs, { headerOnly: true });
  const fd = openSync(path, 'w');
  writeSync(fd, head);
  tensors.forEach((t, i) => {
    const n = BYTES[t.kind](t.rows * t.cols);
    writeChunks(fd, n, tensorWriter(t, i + 1));
    const pad = Math.ceil(n / 32) * 32 - n;
    if (pad) writeSync(fd, Buffer.alloc(pad));
  });
  closeSync(fd);
  return head.length;
}

/** The raw baseline for opening: one stat and the header's bytes, nothing parsed. */
async function rawHeader(path: string, headerBytes: number): Promise<number> {
  const t0 = performance.now();
  const fh = await open(path, 'r');
  await fh.stat();
  const b = Buffer.alloc(headerBytes);
  await fh.read(b, 0, headerBytes, 0);
  await fh.close();
  return performance.now() - t0;
}

async function ourOpen(path: string): Promise<number> {
  const t0 = performance.now();
  // What `inspect` does: openModel, then summarize with the file's size from a stat.
  const m = await openModel(path);
  summarize(m, (await stat(path)).size);
  await m.dispose?.();
  return performance.now() - t0;
}

/** One plain pass over the file's bytes in 4 MiB reads (what any reader has to pay at least). */
async function plainRead(path: string): Promise<number> {
  const t0 = performance.now();
  const fh = await open(path, 'r');
  const buf = Buffer.alloc(4 * MB);
  for (let pos = 0; ; ) {
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (!bytesRead) break;
    pos += bytesRead;
  }
  await fh.close();
  return performance.now() - t0;
}

/** Wall and CPU (user + system) milliseconds of fn: the machine is shared, so CPU time says what the work costs. */
async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; cpuMs: number; value: T }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { ms, cpuMs: (c.user + c.system) / 1000, value };
}

async function ourStats(path: string): Promise<{ ms: number; tensors: number }> {
  const t0 = performance.now();
  const m = await openModel(path);
  const s = await computeModelStats(m, { bins: 64 });
  await m.dispose?.();
  const bad = s.tensors.filter((t) => t.problem);
  if (bad.length) throw new Error(`${bad.length} tensors not scanned: ${bad[0].problem}`);
  return { ms: performance.now() - t0, tensors: s.tensors.length };
}

const ROUNDS = 51;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const r2 = (x: number) => Math.round(x * 100) / 100;

async function main(): Promise<void> {
  const i = process.argv.indexOf('--gb');
  const gb = i > 0 ? Number(process.argv[i + 1]) : 1;
  if (!(gb > 0)) throw new Error('--gb takes a positive number');
  const dir = mkdtempSync(join(tmpdir(), 'mi-bench-weights-'));
  try {
    const files = [
      { format: 'safetensors', path: join(dir, 'model.safetensors'), write: (p: string) => writeSafetensors(p, specs(gb, false)) },
      { format: 'gguf', path: join(dir, 'model.gguf'), write: (p: string) => writeGguf(p, specs(gb, true)) },
    ];
    for (const f of files) {
      const headerBytes = f.write(f.path);
      const bytes = statSync(f.path).size;
      await plainRead(f.path); // warm the page cache so both sides read from memory
      const opens: number[] = [];
      const raws: number[] = [];
      for (let k = 0; k < 20; k++) {
        // warm-up: the first calls pay for compiling the code, which is not what is measured
        await rawHeader(f.path, headerBytes);
        await ourOpen(f.path);
      }
      let rawCpu = 0;
      let oursCpu = 0;
      let readerCpu = 0;
      const readers: number[] = [];
      const reader = f.format === 'gguf' ? ggufReader : safetensorsReader;
      // Sub-millisecond timings on a shared machine: many interleaved rounds, medians (and CPU sums) over them.
      for (let k = 0; k < ROUNDS; k++) {
        const r = await timed(() => rawHeader(f.path, headerBytes));
        raws.push(r.ms);
        rawCpu += r.cpuMs;
        const o = await timed(() => ourOpen(f.path));
        opens.push(o.ms);
        oursCpu += o.cpuMs;
        // The format's own part: the descriptor's open alone, without the registry's stat and 4 KiB sniff.
        const d = await timed(async () => (await reader.open(f.path)).dispose?.());
        readers.push(d.ms);
        readerCpu += d.cpuMs;
      }
      const openMs = median(opens);
      const headerMs = median(raws);
      console.log(JSON.stringify({
        format: f.format, measure: 'open-to-summary', bytes, headerBytes, oursMs: r2(openMs), rawMs: r2(headerMs), ratio: r2(openMs / headerMs),
        oursCpuMs: r2(oursCpu / ROUNDS), rawCpuMs: r2(rawCpu / ROUNDS), cpuRatio: r2(oursCpu / rawCpu),
        readerOpenMs: r2(median(readers)), readerRatio: r2(median(readers) / headerMs), readerCpuRatio: r2(readerCpu / rawCpu), target: 1.5,
      }));
      // Warm-up, as above: compiles the scan code and starts the stats workers (an engine keeps them between runs).
      await ourStats(f.path);
      const read1 = await timed(() => plainRead(f.path));
      const stats = await timed(() => ourStats(f.path));
      const read2 = await timed(() => plainRead(f.path));
      const raw = read1.ms < read2.ms ? read1 : read2;
      console.log(JSON.stringify({
        format: f.format, measure: 'histograms', bytes, tensors: stats.value.tensors,
        oursMs: Math.round(stats.ms), rawMs: Math.round(raw.ms), ratio: r2(stats.ms / raw.ms),
        oursCpuMs: Math.round(stats.cpuMs), rawCpuMs: Math.round(raw.cpuMs), cpuRatio: r2(stats.cpuMs / raw.cpuMs),
        oursMBps: Math.round(bytes / MB / (stats.ms / 1000)), rawMBps: Math.round(bytes / MB / (raw.ms / 1000)), target: 2,
      }));
      rmSync(f.path);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : String(e));
  process.exit(1);
});
