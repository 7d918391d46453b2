import * as tf from '@tensorflow/tfjs';

/**
 * tfjs-backend-wasm has no Conv2DBackpropFilter kernel, yet gradient methods need it: a Keras Conv2D without an
 * activation runs as a fused conv2d even under tf.grad, and the fused op's gradient computes the filter's gradient
 * too (then drops it), so saliency on such a model failed with "Kernel 'Conv2DBackpropFilter' not registered".
 * The filter gradient is itself a convolution: with x padded as the forward pass padded it,
 *   dW[kh, kw, ci, co] = Σ_{n, oh, ow} x[n, oh·s + kh, ow·s + kw, ci] · dy[n, oh, ow, co],
 * i.e. conv2d(x as [ci, H, W, n], dy as a [OH, OW, n, co] filter, stride 1, dilation s), cropped to the kernel size.
 */

interface Attrs {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  filterShape: [number, number, number, number];
}

const pair = (v: number | [number, number] | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v);

/** Pads x ([N, H, W, C]) the way the forward convolution did: [[top, bottom], [left, right]]. */
function forwardPadding(a: Attrs, x: tf.Tensor4D, dy: tf.Tensor4D): [[number, number], [number, number]] {
  const [kh, kw] = a.filterShape;
  const [sh, sw] = pair(a.strides, 1);
  if (a.pad === 'valid') return [[0, 0], [0, 0]];
  if (typeof a.pad === 'number') return [[a.pad, a.pad], [a.pad, a.pad]];
  if (Array.isArray(a.pad)) return [a.pad[1], a.pad[2]];
  // 'same': what tfjs' computeConv2DInfo pads (the extra row/column goes to the bottom/right).
  const th = Math.max((dy.shape[1] - 1) * sh + kh - x.shape[1], 0);
  const tw = Math.max((dy.shape[2] - 1) * sw + kw - x.shape[2], 0);
  return [[Math.floor(th / 2), th - Math.floor(th / 2)], [Math.floor(tw / 2), tw - Math.floor(tw / 2)]];
}

export function conv2dFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, attrs: Attrs): tf.Tensor4D {
  if (attrs.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter (wasm): NHWC only');
  const [dh, dw] = pair(attrs.dilations, 1);
  if (dh !== 1 || dw !== 1) throw new Error('Conv2DBackpropFilter (wasm): dilated convolutions are not supported');
  const [kh, kw] = attrs.filterShape;
  const [sh, sw] = pair(attrs.strides, 1);
  return tf.tidy(() => {
    const [ph, pw] = forwardPadding(attrs, x, dy);
    const xp = ph[0] || ph[1] || pw[0] || pw[1] ? tf.pad(x, [[0, 0], ph, pw, [0, 0]]) : x;
    const a = tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D; // [ci, H, W, n]: channels as the batch
    const f = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [OH, OW, n, co]: the output gradient as a filter
    // A strided forward pass samples every s-th position: the same spacing is the dilation here.
    const g = sh === 1 && sw === 1 ? tf.conv2d(a, f, 1, 'valid') : tf.conv2d(a, f, 1, 'valid', 'NHWC', [sh, sw]);
    const cropped = tf.slice(g, [0, 0, 0, 0], [-1, kh, kw, -1]); // [ci, kh, kw, co]
    return tf.transpose(cropped, [1, 2, 0, 3]) as tf.Tensor4D;
  });
}

let registered = false;

/** Registers the kernel for the wasm backend once (a no-op if tfjs ever ships its own). */
export function registerWasmConv2dFilterGrad(): void {
  if (registered || tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  registered = true;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => conv2dFilterGrad(inputs.x as tf.Tensor4D, inputs.dy as tf.Tensor4D, attrs as unknown as Attrs) as unknown as tf.TensorInfo,
  });
}

interface DepthwiseAttrs {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
  dilations?: number | [number, number];
  inputShape: [number, number, number, number];
}

/**
 * The input gradient of a depthwise convolution (tfjs-backend-wasm has no DepthwiseConv2dNativeBackpropInput either,
 * so saliency on a MobileNet failed): dy spread back to the input grid (zeros between rows and columns for a
 * stride), padded so that a valid depthwise correlation with the spatially flipped filter lands on every input
 * position, and summed over the channel multiplier.
 */
export function depthwiseInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, attrs: DepthwiseAttrs): tf.Tensor4D {
  const [dh, dw] = pair(attrs.dilations, 1);
  if (dh !== 1 || dw !== 1) throw new Error('DepthwiseConv2dNativeBackpropInput (wasm): dilated convolutions are not supported');
  const [n, H, W, C] = attrs.inputShape;
  const [kh, kw, , M] = filter.shape;
  const [sh, sw] = pair(attrs.strides, 1);
  const [, oh, ow] = dy.shape;
  const x = { shape: [n, H, W, C] } as tf.Tensor4D;
  const [ph, pw] = forwardPadding({ strides: attrs.strides, pad: attrs.pad, filterShape: [kh, kw, C, M] }, x, dy);
  return tf.tidy(() => {
    // Zeros between the strided positions: [n, oh, ow, cm] → [n, (oh-1)·sh+1, (ow-1)·sw+1, cm].
    let d: tf.Tensor4D = dy;
    if (sh > 1 || sw > 1) {
      const cm = dy.shape[3];
      const spread = tf.pad(tf.reshape(dy, [n, oh, 1, ow, 1, cm]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
      d = tf.slice(tf.reshape(spread, [n, oh * sh, ow * sw, cm]), [0, 0, 0, 0], [n, (oh - 1) * sh + 1, (ow - 1) * sw + 1, cm]) as tf.Tensor4D;
    }
    // Pad (or crop) so that position h of the result sums d[h + top − k]·W[k] over the kernel.
    const fit = (t: tf.Tensor4D, axis: 1 | 2, before: number, after: number): tf.Tensor4D => {
      const padding: [number, number][] = [[0, 0], [0, 0], [0, 0], [0, 0]];
      padding[axis] = [Math.max(before, 0), Math.max(after, 0)];
      let r = padding[axis][0] || padding[axis][1] ? tf.pad(t, padding) : t;
      if (before < 0 || after < 0) {
        const begin = [0, 0, 0, 0];
        const size = [-1, -1, -1, -1];
        begin[axis] = Math.max(-before, 0);
        size[axis] = r.shape[axis] - Math.max(-before, 0) - Math.max(-after, 0);
        r = tf.slice(r, begin, size);
      }
      return r;
    };
    const Ld = d.shape[1];
    const Lw = d.shape[2];
    d = fit(d, 1, kh - 1 - ph[0], H - Ld + ph[0]);
    d = fit(d, 2, kw - 1 - pw[0], W - Lw + pw[0]);
    const flipped = tf.reverse(filter, [0, 1]); // [kh, kw, C, M]
    const perChannel = tf.reshape(flipped, [kh, kw, C * M, 1]) as tf.Tensor4D;
    const g = tf.depthwiseConv2d(d, perChannel, 1, 'valid'); // [n, H, W, C·M]
    return (M === 1 ? g : tf.sum(tf.reshape(g, [n, H, W, C, M]), 4)) as tf.Tensor4D;
  });
}

let depthwiseRegistered = false;

/** Registers the depthwise input gradient for the wasm backend once (a no-op if tfjs ever ships its own). */
export function registerWasmDepthwiseInputGrad(): void {
  if (depthwiseRegistered || tf.getKernel('DepthwiseConv2dNativeBackpropInput', 'wasm')) return;
  depthwiseRegistered = true;
  tf.registerKernel({
    kernelName: 'DepthwiseConv2dNativeBackpropInput',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => depthwiseInputGrad(inputs.dy as tf.Tensor4D, inputs.filter as tf.Tensor4D, attrs as unknown as DepthwiseAttrs) as unknown as tf.TensorInfo,
  });
}
