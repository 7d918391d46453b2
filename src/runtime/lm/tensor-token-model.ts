import { ModelError } from '../../model/errors';
import type { NdArray } from '../../formats/arrays/ndarray';
import type { RuntimeSession } from '../session';
import type { LmSignature } from './signature';
import { argmax, checkAbort, logSoftmaxInto, logSumExp, type EvaluateOptions, type TokenModel, type TokenPass } from './token-model';

/** Sequences per forward pass: enough to amortise the call, few enough that [B, T, V] logits stay small. */
const MAX_LOGIT_FLOATS = 32 * 2 ** 20;

/**
 * A tensor graph (onnxruntime, tfjs) as a TokenModel: ids [B, T] in, logits [B, T, V] out, with the Hugging Face
 * companions filled (attention_mask ones, position_ids 0..T-1, token_type_ids zeros, an empty past).
 */
export class TensorTokenModel implements TokenModel {
  readonly kind: 'causal' | 'masked';
  readonly maxBatch: number;

  constructor(
    private readonly path: string,
    private readonly session: RuntimeSession & { run: NonNullable<RuntimeSession['run']> },
    private readonly sig: LmSignature,
    readonly vocabSize: number,
    readonly contextLength: number | undefined,
    batchable: boolean,
  ) {
    this.kind = sig.kind;
    this.maxBatch = batchable ? Math.max(1, Math.min(64, Math.floor(MAX_LOGIT_FLOATS / (vocabSize * 128)))) : 1;
  }

  /** The feeds for B sequences of length T. */
  feeds(seqs: number[][]): Map<string, NdArray> {
    const b = seqs.length;
    const t = seqs[0].length;
    const idsInfo = this.session.inputs.find((i) => i.name === this.sig.ids);
    const int = (fill: (row: number, col: number) => number, dtype = idsInfo?.dtype === 'int32' ? 'int32' : 'int64'): NdArray => {
      if (dtype === 'int32') {
        const d = new Int32Array(b * t);
        for (let r = 0; r < b; r++) for (let c = 0; c < t; c++) d[r * t + c] = fill(r, c);
        return { dtype: 'int32', shape: [b, t], data: d };
      }
      const d = new BigInt64Array(b * t);
      for (let r = 0; r < b; r++) for (let c = 0; c < t; c++) d[r * t + c] = BigInt(fill(r, c));
      return { dtype: 'int64', shape: [b, t], data: d };
    };
    const typeOf = (name: string) => (this.session.inputs.find((i) => i.name === name)?.dtype === 'int32' ? 'int32' : 'int64');
    const f = new Map<string, NdArray>([[this.sig.ids, int((r, c) => seqs[r][c])]]);
    if (this.sig.attentionMask) f.set(this.sig.attentionMask, int(() => 1, typeOf(this.sig.attentionMask)));
    if (this.sig.positionIds) f.set(this.sig.positionIds, int((_, c) => c, typeOf(this.sig.positionIds)));
    if (this.sig.tokenTypeIds) f.set(this.sig.tokenTypeIds, int(() => 0, typeOf(this.sig.tokenTypeIds)));
    for (const p of this.sig.past) {
      const shape = (p.shape ?? []).map((d, k) => (k === 0 ? b : typeof d === 'number' ? d : k === 2 ? 0 : NaN));
      if (shape.length !== 4 || shape.some((d) => !Number.isFinite(d))) {
        throw new ModelError(this.path, `input ${p.name} has shape [${(p.shape ?? []).join(', ')}]: cannot feed it an empty past (expected [batch, heads, past, head size])`);
      }
      f.set(p.name, { dtype: p.dtype === 'float16' ? 'float16' : 'float32', shape, data: p.dtype === 'float16' ? new Uint16Array(0) : new Float32Array(0) });
    }
    return f;
  }

  async evaluate(seqs: number[][], o: EvaluateOptions = {}): Promise<TokenPass[]> {
    const out: TokenPass[] = [];
    for (let i = 0; i < seqs.length; i += this.maxBatch) {
      checkAbort(o.signal);
      out.push(...(await this.pass(seqs.slice(i, i + this.maxBatch), o)));
    }
    return out;
  }

  private async pass(seqs: number[][], o: EvaluateOptions): Promise<TokenPass[]> {
    const t = seqs[0].length;
    if (seqs.some((s) => s.length !== t)) throw new Error('sequences of one forward pass must have the same length');
    for (const s of seqs) for (const id of s) if (!(id >= 0 && id < this.vocabSize)) throw new ModelError(this.path, `token id ${id} is out of range: the vocabulary has ${this.vocabSize} tokens`);
    const res = await this.session.run(this.feeds(seqs));
    const logits = res.get(this.sig.logits);
    if (!logits) throw new ModelError(this.path, `output ${this.sig.logits} did not come back`);
    const [b, rows, v] = logits.shape;
    if (b !== seqs.length || v !== this.vocabSize || (rows !== t && rows !== 1)) {
      throw new ModelError(this.path, `output ${this.sig.logits} has shape [${logits.shape.join(', ')}], expected [${seqs.length}, ${t}, ${this.vocabSize}]`);
    }
    const data = logits.data as Float32Array;
    const at = o.at ?? t - 1;
    const passes: TokenPass[] = [];
    for (let r = 0; r < b; r++) {
      const row = (k: number) => data.subarray((r * rows + k) * v, (r * rows + k + 1) * v);
      const next = logSoftmaxInto(row(rows === 1 ? 0 : at), new Float32Array(v));
      let observed: Float32Array | undefined;
      if (o.observed && this.kind === 'causal' && rows === t) {
        observed = new Float32Array(t).fill(NaN);
        for (let k = 1; k < t; k++) {
          const prev = row(k - 1);
          observed[k] = prev[seqs[r][k]] - logSumExp(prev);
        }
      }
      passes.push({ next, ...(observed ? { observed } : {}) });
    }
    return passes;
  }

  async generate(ids: number[], n: number, signal?: AbortSignal): Promise<{ id: number; p: number }[]> {
    const seq = [...ids];
    const out: { id: number; p: number }[] = [];
    for (let k = 0; k < n; k++) {
      if (this.contextLength !== undefined && seq.length >= this.contextLength) break;
      checkAbort(signal);
      const [pass] = await this.pass([seq], {});
      const id = argmax(pass.next);
      out.push({ id, p: Math.exp(pass.next[id]) });
      seq.push(id);
    }
    return out;
  }
}
