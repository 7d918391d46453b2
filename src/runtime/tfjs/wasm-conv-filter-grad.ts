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
