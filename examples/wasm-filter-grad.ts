import * as tf from '@tensorflow/tfjs';
// For the training script only (examples/train-example.ts): the product never trains.
// tfjs-backend-wasm has no Conv2DBackpropFilter kernel (training a conv2d needs it); it has the 3-D one. A 2-D
// convolution is a 3-D one with depth 1, so route the 2-D filter gradient through it.
export function registerWasmConv2dFilterGrad(): void {
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const { x, dy } = inputs as { x: tf.Tensor4D; dy: tf.Tensor4D };
      const { strides, pad, filterShape, dataFormat, dilations } = attrs as unknown as { strides: [number, number] | number; pad: 'same' | 'valid' | number; filterShape: [number, number, number, number]; dataFormat: string; dilations?: number | number[] };
      if (dataFormat && dataFormat !== 'NHWC') throw new Error('Conv2DBackpropFilter (wasm shim): NHWC only');
      if (typeof pad === 'number' || typeof pad === 'object') throw new Error('Conv2DBackpropFilter (wasm shim): same/valid padding only');
      const [sh, sw] = typeof strides === 'number' ? [strides, strides] : strides;
      // Strided filter gradients from the 3-D kernel disagreed with tfjs' CPU backend when this was written: refuse.
      if (sh !== 1 || sw !== 1) throw new Error('Conv2DBackpropFilter (wasm shim): stride 1 only');
      if (dilations !== undefined && dilations !== 1 && !(Array.isArray(dilations) && dilations.every((d) => d === 1))) throw new Error('Conv2DBackpropFilter (wasm shim): no dilation');
      const x5 = tf.reshape(x, [x.shape[0], 1, x.shape[1], x.shape[2], x.shape[3]]);
      const dy5 = tf.reshape(dy, [dy.shape[0], 1, dy.shape[1], dy.shape[2], dy.shape[3]]);
      const g = tf.engine().runKernel('Conv3DBackpropFilterV2', { x: x5, dy: dy5 }, { strides: [1, sh, sw], pad, filterShape: [1, ...filterShape] }) as tf.Tensor;
      const out = tf.reshape(g, filterShape);
      tf.dispose([x5, dy5, g]);
      return out as unknown as tf.TensorInfo;
    },
  });
}
