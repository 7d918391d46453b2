import type { Dim, Shape } from '../../model/shape';
import type { Json } from './keras-config';

/**
 * Output shapes of common Keras layers from their config and input shapes, so that the overview can show a
 * layers model's output shape (model.json does not store it). Unknown layers or inputs give undefined.
 */
export function inferLayerShapes(cls: string, cfg: Json, inputs: Shape[]): Shape[] | undefined {
  const x = inputs[0];
  if (!x) return undefined;
  const one = (s: Shape): Shape[] | undefined => (s ? [s] : undefined);
  if (IDENTITY.has(cls)) return [x];
  switch (cls) {
    case 'Dense':
      return one([...x.slice(0, -1), num(cfg.units)]);
    case 'Flatten': {
      const rest = x.slice(1);
      return one([x[0], rest.every((d) => typeof d === 'number') ? (rest as number[]).reduce((a, b) => a * b, 1) : null]);
    }
    case 'Reshape':
      return one(reshape(x, cfg.target_shape));
    case 'Concatenate':
      return one(concat(inputs, typeof cfg.axis === 'number' ? cfg.axis : -1));
    case 'Add': case 'Subtract': case 'Multiply': case 'Average': case 'Maximum': case 'Minimum':
      return [x];
    case 'Embedding':
      return one([...x, num(cfg.output_dim)]);
    case 'RepeatVector':
      return one([x[0], num(cfg.n), ...x.slice(1)]);
    case 'Permute':
      return Array.isArray(cfg.dims) ? one([x[0], ...cfg.dims.map((d: unknown) => (typeof d === 'number' ? x[d] ?? null : null))]) : undefined;
    case 'GlobalAveragePooling1D': case 'GlobalAveragePooling2D': case 'GlobalAveragePooling3D':
    case 'GlobalMaxPooling1D': case 'GlobalMaxPooling2D': case 'GlobalMaxPooling3D':
      if (cfg.keepdims === true) return one(x.map((d, i) => (i === 0 || i === channelAxis(cfg, x) ? d : 1)));
      return one([x[0], x[channelAxis(cfg, x)]]);
    case 'LSTM': case 'GRU': case 'SimpleRNN': {
      const units = num(cfg.units);
      const main: Shape = cfg.return_sequences ? [x[0], x[1] ?? null, units] : [x[0], units];
      const states = cfg.return_state ? (cls === 'LSTM' ? 2 : 1) : 0;
      return [main, ...Array.from({ length: states }, (): Shape => [x[0], units])];
    }
  }
  if (/^(Conv|SeparableConv|DepthwiseConv)[123]D(Transpose)?$/.test(cls)) return one(conv(cls, cfg, x));
  if (/^(Max|Average)Pooling[123]D$/.test(cls)) return one(pool(cfg, x));
  if (/^(ZeroPadding|Cropping|UpSampling)[123]D$/.test(cls)) return one(resize(cls, cfg, x));
  return undefined;
}

const IDENTITY = new Set([
  'Activation', 'Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D', 'AlphaDropout', 'GaussianDropout',
  'GaussianNoise', 'BatchNormalization', 'LayerNormalization', 'ReLU', 'LeakyReLU', 'PReLU', 'ELU', 'Softmax',
  'ThresholdedReLU', 'Masking', 'ActivityRegularization', 'Rescaling', 'Normalization', 'Identity',
]);

const num = (v: unknown): Dim => (typeof v === 'number' ? v : null);

function channelsFirst(cfg: Json): boolean {
  return cfg.data_format === 'channels_first';
}

function channelAxis(cfg: Json, x: Dim[]): number {
  return channelsFirst(cfg) ? 1 : x.length - 1;
}

/** Spatial axes for an N-d layer on input x (batch first). */
function spatialAxes(cfg: Json, x: Dim[]): number[] {
  const n = x.length - 2;
  return Array.from({ length: n }, (_, i) => (channelsFirst(cfg) ? 2 + i : 1 + i));
}

function tuple(v: unknown, n: number, dflt: number): number[] {
  if (typeof v === 'number') return Array(n).fill(v);
  if (Array.isArray(v) && v.length === n && v.every((d) => typeof d === 'number')) return v as number[];
  return Array(n).fill(dflt);
}

function windowOut(len: Dim, k: number, s: number, d: number, padding: unknown): Dim {
  if (typeof len !== 'number') return null;
  if (padding === 'same' || padding === 'causal') return Math.ceil(len / s);
  return Math.max(0, Math.floor((len - ((k - 1) * d + 1)) / s) + 1);
}

function conv(cls: string, cfg: Json, x: Dim[]): Shape {
  const axes = spatialAxes(cfg, x);
  const n = axes.length;
  const k = tuple(cfg.kernel_size, n, 1);
  const s = tuple(cfg.strides, n, 1);
  const d = tuple(cfg.dilation_rate, n, 1);
  const out = [...x];
  axes.forEach((a, i) => {
    const len = x[a];
    if (cls.endsWith('Transpose')) {
      out[a] = typeof len !== 'number' ? null : cfg.padding === 'same' ? len * s[i] : len * s[i] + Math.max(k[i] - s[i], 0);
    } else out[a] = windowOut(len, k[i], s[i], d[i], cfg.padding);
  });
  const ch = channelAxis(cfg, x);
  if (cls.startsWith('DepthwiseConv')) {
    const m = typeof cfg.depth_multiplier === 'number' ? cfg.depth_multiplier : 1;
    out[ch] = typeof x[ch] === 'number' ? (x[ch] as number) * m : null;
  } else out[ch] = num(cfg.filters);
  return out;
}

function pool(cfg: Json, x: Dim[]): Shape {
  const axes = spatialAxes(cfg, x);
  const k = tuple(cfg.pool_size, axes.length, 2);
  const s = cfg.strides === null || cfg.strides === undefined ? k : tuple(cfg.strides, axes.length, 1);
  const out = [...x];
  axes.forEach((a, i) => (out[a] = windowOut(x[a], k[i], s[i], 1, cfg.padding)));
  return out;
}

function resize(cls: string, cfg: Json, x: Dim[]): Shape {
  const axes = spatialAxes(cfg, x);
  const out = [...x];
  const add = (a: number, delta: number) => (out[a] = typeof x[a] === 'number' ? (x[a] as number) + delta : null);
  if (cls.startsWith('UpSampling')) {
    const f = tuple(cfg.size, axes.length, 2);
    axes.forEach((a, i) => (out[a] = typeof x[a] === 'number' ? (x[a] as number) * f[i] : null));
    return out;
  }
  const sign = cls.startsWith('Cropping') ? -1 : 1;
  const spec = cls.startsWith('Cropping') ? cfg.cropping : cfg.padding;
  axes.forEach((a, i) => {
    const p = Array.isArray(spec) ? spec[i] : spec;
    const total = typeof p === 'number' ? 2 * p : Array.isArray(p) ? p.reduce((u: number, v: unknown) => u + (typeof v === 'number' ? v : 0), 0) : 0;
    add(a, sign * total);
  });
  return out;
}

function reshape(x: Dim[], target: unknown): Shape {
  if (!Array.isArray(target)) return undefined;
  const dims = target.map((d) => (typeof d === 'number' ? d : -1));
  const known = x.slice(1);
  if (dims.includes(-1) && known.every((d) => typeof d === 'number')) {
    const total = (known as number[]).reduce((a, b) => a * b, 1);
    const rest = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    return [x[0], ...dims.map((d) => (d === -1 ? (rest ? total / rest : null) : d))];
  }
  return [x[0], ...dims.map((d) => (d === -1 ? null : d))];
}

function concat(inputs: Shape[], axis: number): Shape {
  if (inputs.some((s) => !s)) return undefined;
  const first = inputs[0]!;
  const a = axis < 0 ? first.length + axis : axis;
  const out = [...first];
  let sum: number | null = 0;
  for (const s of inputs) {
    const d = s![a];
    sum = sum !== null && typeof d === 'number' ? sum + d : null;
  }
  out[a] = sum;
  return out;
}
