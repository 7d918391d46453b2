// Image inputs: a PNG written by sharp with known pixels, fed through an Identity model, so the output is exactly
// the tensor our image path built (layout, channel order, normalisation).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { OnnxBuilder, writeModel } from '../support/onnx-builder';
import { runModel } from '../../src/runtime/run-model';
import { sessions } from '../../src/runtime/load';
import { ModelError } from '../../src/model/errors';

const dir = mkdtempSync(join(tmpdir(), 'mi-img-'));
test.after(async () => {
  await sessions.clear();
  rmSync(dir, { recursive: true, force: true });
});

const W = 4;
const H = 2;
// Pixel (x, y) = RGB(10x + 1, 100y + 2, 50 + x + y): every channel and position distinct.
const rgb = Buffer.alloc(W * H * 3);
for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) rgb.set([10 * x + 1, 100 * y + 2, 50 + x + y], (y * W + x) * 3);
const pixel = (x: number, y: number, c: number) => rgb[(y * W + x) * 3 + c];

function identity(name: string, shape: (number | string)[]): string {
  const b = new OnnxBuilder().input('img', 'float32', shape).node('Identity', ['img'], ['out']).output('out', 'float32', shape);
  return writeModel(join(dir, name), 'model.onnx', b);
}

test('NCHW, 0-1 by default, RGB; NHWC from the shape; BGR and ImageNet options', async () => {
  const png = join(dir, 'p.png');
  writeFileSync(png, await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png().toBuffer());

  const nchw = await runModel(identity('nchw', [1, 3, H, W]), { providers: ['cpu'], runs: 1, inputs: [{ file: png }] });
  const a = nchw.outputs.get('out')!.data as Float32Array;
  for (let c = 0; c < 3; c++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    assert.ok(Math.abs(a[c * H * W + y * W + x] - pixel(x, y, c) / 255) < 1e-6, `c${c} y${y} x${x}`);
  }
  assert.match(nchw.summary.inputs[0].source, /^image:.*p\.png \(4×2 NCHW RGB 0-1\)$/);

  const nhwc = await runModel(identity('nhwc', ['batch', H, W, 3]), { providers: ['cpu'], runs: 1, inputs: [{ file: `${png}#bgr,-1-1` }], dims: { batch: 2 } });
  const b = nhwc.outputs.get('out')!.data as Float32Array;
  assert.equal(b.length, 2 * H * W * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++) {
    const want = pixel(x, y, 2 - c) / 127.5 - 1;
    assert.ok(Math.abs(b[(y * W + x) * 3 + c] - want) < 1e-6);
    assert.ok(Math.abs(b[H * W * 3 + (y * W + x) * 3 + c] - want) < 1e-6, 'second batch item is the same image');
  }

  const inet = await runModel(identity('nchw', [1, 3, H, W]), { providers: ['cpu'], runs: 1, inputs: [{ file: png, image: { normalize: 'imagenet' } }] });
  const i = inet.outputs.get('out')!.data as Float32Array;
  assert.ok(Math.abs(i[2 * H * W] - (pixel(0, 0, 2) / 255 - 0.406) / 0.225) < 1e-5);
});

test('images are resized to the input and bad images are ModelErrors', async () => {
  const big = join(dir, 'big.jpg');
  writeFileSync(big, await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 255, g: 0, b: 0 } } }).jpeg().toBuffer());
  const r = await runModel(identity('resize', [1, 3, 'height', 'width']), { providers: ['cpu'], runs: 1, inputs: [{ file: big }], dims: { height: 8, width: 16 } });
  assert.deepEqual(r.summary.outputs[0].shape, [1, 3, 8, 16]);
  const d = r.outputs.get('out')!.data as Float32Array;
  assert.ok(d[0] > 0.95 && d[8 * 16] < 0.05, 'red stays red after resizing');
  const junk = join(dir, 'junk.png');
  writeFileSync(junk, 'not an image');
  await assert.rejects(runModel(identity('nchw', [1, 3, H, W]), { providers: ['cpu'], inputs: [{ file: junk }] }), (e: unknown) => e instanceof ModelError && /^junk\.png: cannot be read as an image/.test(e.message));
  await assert.rejects(runModel(identity('nchw', [1, 3, H, W]), { providers: ['cpu'], inputs: [{ file: `${big}#sepia` }] }), /unknown image option "sepia"/);
});
