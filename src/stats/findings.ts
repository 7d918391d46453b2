import { createHash } from 'node:crypto';
import type { Tensor } from '../model/tensor';
import type { Finding, Severity, TensorStats } from '../protocol/stats';
import { throwIfCancelled } from '../protocol/rpc';
import type { Moments } from './model-stats';

/** Thresholds of the health report; exported so tests and docs name the same numbers. */
export const HEALTH = {
  /** |value| at or above this is an exploding magnitude. */
  explodingAbs: 1e4,
  /** max|v|/std at or above this, and this many times the model's median ratio, is an extreme outlier. */
  outlierRatio: 50,
  outlierVsModel: 5,
  /** Kurtosis (normal = 3) at or above this is heavy-tailed. */
  outlierKurtosis: 100,
} as const;

const fmt = (x: number): string => (Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : String(Number(x.toPrecision(4))));

/**
 * Tensors whose bytes are equal. Candidates share dtype, shape and every summary number (cheap, from the pass
 * already made); only those are confirmed by a SHA-256 of their bytes, so unrelated tensors are never hashed.
 */
export async function findDuplicates(items: { tensor: Tensor; moments: Moments }[], signal?: AbortSignal): Promise<string[][]> {
  const byKey = new Map<string, Tensor[]>();
  for (const { tensor: t, moments: m } of items) {
    if (t.elementCount === 0) continue;
    const key = [t.dtype, t.storedDType ?? '', t.shape.join('x'), m.n, m.min, m.max, m.mean, m.m2, m.zeros, m.nan].join('|');
    const list = byKey.get(key) ?? [];
    list.push(t);
    byKey.set(key, list);
  }
  const groups: string[][] = [];
  for (const list of byKey.values()) {
    if (list.length < 2) continue;
    const byHash = new Map<string, string[]>();
    for (const t of list) {
      throwIfCancelled(signal, 'weight statistics');
      const h = await hashTensor(t);
      if (!h) continue;
      byHash.set(h, [...(byHash.get(h) ?? []), t.name]);
    }
    for (const names of byHash.values()) if (names.length > 1) groups.push(names);
  }
  return groups;
}

async function hashTensor(t: Tensor): Promise<string | undefined> {
  const h = createHash('sha256');
  if (t.data) {
    const step = 4 << 20;
    for (let off = 0; off < t.data.byteLength; off += step) h.update(await t.data.read(off, Math.min(step, t.data.byteLength - off)));
  } else if (t.values) {
    h.update(JSON.stringify(Array.from(t.values as ArrayLike<unknown>, (v) => String(v))));
  } else return undefined;
  return h.digest('hex');
}

/** The health report, worst first: errors, then warnings, then info; within a severity by score. */
export function healthFindings(tensors: TensorStats[], duplicates: string[][]): Finding[] {
  const out: Finding[] = [];
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const add = (t: TensorStats, severity: Severity, kind: Finding['kind'], message: string, score: number) =>
    out.push({ severity, kind, tensor: t.name, message, nodeIds: t.consumers, score });

  // The model's typical max|v|/std, so that "outlier" means unusual for this model, not for models in general.
  const ratios = tensors
    .filter((t) => t.std && t.min !== null && t.max !== null && t.count > 16)
    .map((t) => Math.max(Math.abs(t.min!), Math.abs(t.max!)) / t.std!)
    .sort((a, b) => a - b);
  const medianRatio = ratios.length ? ratios[Math.floor(ratios.length / 2)] : 0;

  for (const t of tensors) {
    if (t.problem) {
      add(t, 'info', 'unreadable', `no statistics: ${t.problem}`, 0);
      continue;
    }
    if (t.nan) add(t, 'error', 'nan', `${t.nan} NaN value${t.nan > 1 ? 's' : ''} of ${t.count}`, t.nan / t.count);
    if (t.inf) add(t, 'error', 'inf', `${t.inf} infinite value${t.inf > 1 ? 's' : ''} of ${t.count}`, t.inf / t.count);
    if (t.count > 0 && t.zeros === t.count) {
      // Zero biases are what most initialisers produce; a zero matrix is not.
      add(t, t.shape.length <= 1 ? 'info' : 'warning', 'all-zero', `all ${t.count} values are zero`, t.count);
    } else if (t.channels && t.channels.deadCount > 0) {
      const c = t.channels;
      add(t, 'warning', 'dead-channels',
        `${c.deadCount} of ${c.channels} output channels (axis ${c.axis}) have near-zero norm: ${c.dead.slice(0, 8).join(', ')}${c.deadCount > 8 ? ', …' : ''}`,
        c.deadCount / c.channels);
    }
    const maxAbs = t.min !== null && t.max !== null ? Math.max(Math.abs(t.min), Math.abs(t.max)) : 0;
    if (maxAbs >= HEALTH.explodingAbs) add(t, 'warning', 'exploding', `max |value| is ${fmt(maxAbs)}`, maxAbs);
    if (t.std && t.count > 16) {
      const ratio = maxAbs / t.std;
      const heavy = t.kurtosis !== null && t.kurtosis >= HEALTH.outlierKurtosis;
      if ((ratio >= HEALTH.outlierRatio && ratio >= HEALTH.outlierVsModel * medianRatio) || heavy) {
        add(t, 'info', 'outlier',
          `extreme outliers: max |value| is ${fmt(ratio)} std (model median ${fmt(medianRatio)})${t.kurtosis !== null ? `, kurtosis ${fmt(t.kurtosis)}` : ''}`,
          ratio);
      }
    }
  }
  for (const names of duplicates) {
    for (const name of names) {
      const t = byName.get(name);
      if (t) add(t, 'info', 'duplicate', `identical to ${names.filter((n) => n !== name).join(', ')} (same bytes)`, names.length);
    }
  }
  const rank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
  return out.sort((a, b) => rank[a.severity] - rank[b.severity] || b.score - a.score || a.tensor.localeCompare(b.tensor));
}
