// A small but real image CNN for the saliency bench: input [N,3,64,64] (dynamic batch), four 3×3 Conv/Relu (two
// strided), GlobalAveragePool, Gemm to 10 logits; seeded He-scaled random weights. Real convolution work per pass, so
// a bench ratio measures our per-pass overhead against it rather than against a model that costs microseconds.
import { OnnxBuilder, writeModel } from '../../test/support/onnx-builder';
import { rng } from '../../src/runtime/synthesize';

/** `widen` multiplies every convolution's channel count (4 → 32/64/64/128 channels, about 16× the work per pass). */
export function makeCnn(dir: string, name = 'bench-cnn.onnx', widen = 1): string {
  const next = rng(7);
  const gauss = () => Math.sqrt(-2 * Math.log(Math.max(next(), 1e-12))) * Math.cos(2 * Math.PI * next());
  const weights = (n: number, fanIn: number) => Float32Array.from({ length: n }, () => gauss() * Math.sqrt(2 / fanIn));
  const b = new OnnxBuilder('bench_cnn').input('image', 'float32', ['N', 3, 64, 64]);
  let x = 'image';
  let cin = 3;
  [[8, 1], [16, 2], [16, 1], [32, 2]].forEach(([c, stride], k) => {
    const cout = c * widen;
    b.initializer(`w${k}`, 'float32', [cout, cin, 3, 3], weights(cout * cin * 9, cin * 9));
    b.initializer(`b${k}`, 'float32', [cout], new Float32Array(cout));
    b.node('Conv', [x, `w${k}`, `b${k}`], [`c${k}`], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [stride, stride] });
    b.node('Relu', [`c${k}`], [`r${k}`]);
    x = `r${k}`;
    cin = cout;
  });
  b.node('GlobalAveragePool', [x], ['gap']).node('Flatten', ['gap'], ['feat'], { axis: 1 });
  b.initializer('fc.w', 'float32', [10, cin], weights(10 * cin, cin)).initializer('fc.b', 'float32', [10], new Float32Array(10));
  b.node('Gemm', ['feat', 'fc.w', 'fc.b'], ['logits'], { transB: 1 });
  return writeModel(dir, name, b.output('logits', 'float32', ['N', 10]));
}
