// Where an explained input's pixels are: image inputs (rank 3/4 with 1, 3 or 4 channels) get one attribution per
// pixel (an H×W map, channels reduced); any other tensor gets one per element. "Units" are what deletion, insertion,
// occlusion and RISE switch on and off: a pixel (all its channels at once) or an element.

export interface InputLayout {
  shape: number[];
  image: boolean;
  /** Map shape: [H, W] for images, else the input's shape. */
  mapShape: number[];
  /** Unit index of every input element. */
  unitOf: Int32Array;
  units: number;
  /** Channel axis for images ('nchw' = channels before H×W). */
  layout?: 'nchw' | 'nhwc';
  height?: number;
  width?: number;
}

/** Same rule as image files in the runtime: a 1/3/4-sized dim before H×W means NCHW, after means NHWC. */
export function inputLayout(shape: number[]): InputLayout {
  const n = shape.reduce((a, b) => a * b, 1);
  const r = shape.length;
  const off = r - 3;
  const isCh = (d: number) => d === 1 || d === 3 || d === 4;
  const batchOk = r === 3 || shape[0] === 1;
  let layout: 'nchw' | 'nhwc' | undefined;
  if ((r === 3 || r === 4) && batchOk) {
    if (isCh(shape[off]) && shape[off + 1] > 4 && shape[off + 2] > 4) layout = 'nchw';
    else if (isCh(shape[off + 2]) && shape[off] > 4 && shape[off + 1] > 4) layout = 'nhwc';
  }
  if (!layout) {
    return { shape, image: false, mapShape: shape.slice(), unitOf: Int32Array.from({ length: n }, (_, i) => i), units: n };
  }
  const [C, H, W] = layout === 'nchw' ? [shape[off], shape[off + 1], shape[off + 2]] : [shape[off + 2], shape[off], shape[off + 1]];
  const unitOf = new Int32Array(n);
  for (let i = 0; i < n; i++) unitOf[i] = layout === 'nchw' ? i % (H * W) : Math.floor(i / C) % (H * W);
  return { shape, image: true, mapShape: [H, W], unitOf, units: H * W, layout, height: H, width: W };
}

/**
 * Element attributions → map. Images: `abs` sums |a| over channels (magnitude methods: vanilla, SmoothGrad), `signed`
 * sums a (methods whose sign means something: gradient × input, IG, occlusion). Non-images: per element, unchanged
 * (or |a| for `abs`).
 */
export function reduceToMap(attr: Float32Array, lay: InputLayout, mode: 'abs' | 'signed'): Float32Array {
  const out = new Float32Array(lay.units);
  for (let i = 0; i < attr.length; i++) out[lay.unitOf[i]] += mode === 'abs' ? Math.abs(attr[i]) : attr[i];
  return out;
}

/** dst = x where the unit mask is 1, `base` where it is 0, linear in between (written in place: no allocation). */
export function writeMixed(dst: Float32Array, x: Float32Array, base: Float32Array, mask: Float32Array, lay: InputLayout): void {
  if (lay.layout !== 'nhwc') {
    // Units repeat every `units` elements (channel planes, or one unit per element): no index table needed.
    const U = lay.units;
    for (let off = 0; off < x.length; off += U) {
      for (let u = 0; u < U; u++) {
        const i = off + u;
        dst[i] = base[i] + (x[i] - base[i]) * mask[u];
      }
    }
    return;
  }
  const unitOf = lay.unitOf;
  for (let i = 0; i < x.length; i++) {
    const m = mask[unitOf[i]];
    dst[i] = base[i] + (x[i] - base[i]) * m;
  }
}

/**
 * Same values as `writeMixed` with a constant base (`fill`, already float32-rounded, like an array filled with it
 * would hold): one load fewer per element, which matters for RISE's hundreds of full-size samples.
 */
export function writeMixedFill(dst: Float32Array, x: Float32Array, fill: number, mask: Float32Array, lay: InputLayout): void {
  const n = x.length;
  if (lay.layout !== 'nhwc') {
    const U = lay.units;
    for (let off = 0; off < n; off += U) {
      for (let u = 0; u < U; u++) dst[off + u] = fill + (x[off + u] - fill) * mask[u];
    }
    return;
  }
  const unitOf = lay.unitOf;
  for (let i = 0; i < n; i++) dst[i] = fill + (x[i] - fill) * mask[unitOf[i]];
}

/**
 * dst = x except on a window of `rows` × `cols` units (rows `rowStep` units apart, top-left unit y0·rowStep + x0),
 * which take `fill`: an occlusion window written as one copy plus its few units. Equal to `writeMixed` with a 0/1
 * mask for finite x and fill (x − f + f rounds back to x in float32, and f + (x − f)·0 is f). When dst already holds
 * x with another window of the same size at `previous` (the last sample written into this slot), only that window is
 * put back from x instead of copying all of x.
 */
export function writeWindow(dst: Float32Array, x: Float32Array, fill: number, lay: InputLayout, y0: number, rows: number, x0: number, cols: number, rowStep: number, previous?: readonly [number, number]): void {
  if (!previous) dst.set(x);
  // The whole old window first: it may overlap the new one.
  else for (let y = 0; y < rows; y++) for (let u = (previous[0] + y) * rowStep + previous[1], end = u + cols; u < end; u++) putUnit(dst, x, lay, u);
  for (let y = 0; y < rows; y++) for (let u = (y0 + y) * rowStep + x0, end = u + cols; u < end; u++) putUnit(dst, x, lay, u, fill);
}

/** Every channel of unit `u` in dst takes x's value there, or `value` when one is given. */
export function putUnit(dst: Float32Array, x: Float32Array, lay: InputLayout, u: number, value?: number): void {
  const U = lay.units;
  const n = x.length;
  if (lay.layout === 'nhwc') {
    // A unit's channels are adjacent.
    const C = n / U;
    for (let i = u * C; i < (u + 1) * C; i++) dst[i] = value ?? x[i];
  } else {
    // Units repeat every U elements (channel planes, or one unit per element).
    for (let i = u; i < n; i += U) dst[i] = value ?? x[i];
  }
}

/** Box blur of each channel over H×W (radius r): the 'blurred' baseline. Non-images: the mean value everywhere. */
export function blurred(x: Float32Array, lay: InputLayout, r = 4): Float32Array {
  if (!lay.image) return new Float32Array(x.length).fill(x.reduce((a, b) => a + b, 0) / Math.max(1, x.length));
  const H = lay.height!;
  const W = lay.width!;
  const C = x.length / (H * W);
  const at = (c: number, y: number, w: number) => (lay.layout === 'nchw' ? (c * H + y) * W + w : (y * W + w) * C + c);
  const out = new Float32Array(x.length);
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < H; y++) {
      for (let w = 0; w < W; w++) {
        let s = 0;
        let k = 0;
        for (let dy = Math.max(0, y - r); dy <= Math.min(H - 1, y + r); dy++) {
          for (let dx = Math.max(0, w - r); dx <= Math.min(W - 1, w + r); dx++) {
            s += x[at(c, dy, dx)];
            k++;
          }
        }
        out[at(c, y, w)] = s / k;
      }
    }
  }
  return out;
}
