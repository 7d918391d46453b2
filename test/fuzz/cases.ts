import { mkdirSync, readFileSync, readdirSync, existsSync, writeFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import type { Prng } from './prng';
import { protobufMutations } from './protobuf-mutations';
import type { FuzzCase } from './runner';

const CONFORMANCE = '/usr/share/libonnx-testdata/data';

/** Conformance models to mutate, picked by the seed, plus models that carry weights and subgraphs. */
export function seedModels(rng: Prng, count: number): { name: string; bytes: Uint8Array }[] {
  const out: { name: string; bytes: Uint8Array }[] = [];
  const dirs: string[] = [];
  for (const group of ['node', 'simple', 'pytorch-converted', 'pytorch-operator']) {
    const g = join(CONFORMANCE, group);
    if (!existsSync(g)) continue;
    for (const d of readdirSync(g)) if (existsSync(join(g, d, 'model.onnx'))) dirs.push(join(g, d, 'model.onnx'));
  }
  dirs.sort();
  for (let i = 0; i < count && dirs.length; i++) {
    const p = dirs[rng.int(dirs.length)];
    out.push({ name: p.split('/').slice(-2, -1)[0], bytes: readFileSync(p) });
  }
  out.push({ name: 'weights-and-if', bytes: encode(weightsAndIfModel()) });
  return out;
}

const f32 = (name: string, dims: number[], values?: number[]): onnx.ITensorProto => {
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(values ?? Array.from({ length: n }, (_, i) => Math.sin(i)));
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(data.buffer) };
};

const vinfo = (name: string, dims: (number | string)[]): onnx.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
});

function model(graph: onnx.IGraphProto, extra: Partial<onnx.IModelProto> = {}): onnx.IModelProto {
  return { irVersion: 8, opsetImport: [{ domain: '', version: 17 }], producerName: 'fuzz', graph, ...extra };
}

function encode(m: onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(m)).finish();
}

function weightsAndIfModel(): onnx.IModelProto {
  const branch = (name: string, op: string): onnx.IGraphProto => ({
    name,
    node: [{ opType: op, input: ['y', 'y'], output: [`${name}_out`] }],
    output: [vinfo(`${name}_out`, [1, 4])],
  });
  return model({
    name: 'g',
    input: [vinfo('x', ['batch', 4]), vinfo('c', [])],
    output: [vinfo('z', [1, 4])],
    initializer: [f32('w', [4, 4]), f32('b', [4])],
    node: [
      { opType: 'MatMul', name: '/block/MatMul', input: ['x', 'w'], output: ['xw'] },
      { opType: 'Add', name: '/block/Add', input: ['xw', 'b'], output: ['y'] },
      { opType: 'If', name: '/block/If', input: ['c'], output: ['z'], attribute: [
        { name: 'then_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: branch('then', 'Add') },
        { name: 'else_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: branch('else', 'Mul') },
      ] },
    ],
  });
}

interface GeneratedCase {
  name: string;
  files: Record<string, Uint8Array | string>;
  what: string;
  /** The error the case must end in (open refused), when any outcome but a refusal would be a bug. */
  expect?: RegExp;
}

/**
 * Weight paths that leave the model's folder (contained-path.ts): each must refuse the model at open, never be read.
 * `link.bin` (a symlink to a file outside) and `out/hostname` (through a symlinked folder) are made by linkOut.
 */
const ESCAPING_PATHS = [
  '../outside.bin', '/etc/passwd', 'sub/../../x.bin', '..\\..\\x.bin', 'C:\\Windows\\win.ini', 'c:win.ini',
  '\\\\server\\share\\w.bin', '//server/share/w.bin', 'file:///etc/passwd', 'http://example.com/w.bin', 'w.bin\u0000../../etc/passwd',
];

function refusalOf(path: string): RegExp | undefined {
  const escapes = ESCAPING_PATHS.includes(path) || path === 'link.bin' || path === 'out/hostname' || path === '..%2F..%2Fescape.bin';
  return escapes ? / leaves the model folder \(/ : undefined;
}

/** In the case folder: link.bin → /etc/hostname and out/ → /etc, the two symlinked ways out. */
function linkOut(dir: string): void {
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'link.bin'))) symlinkSync('/etc/hostname', join(dir, 'link.bin'));
  if (!existsSync(join(dir, 'out'))) symlinkSync('/etc', join(dir, 'out'));
}

/** Hostile models built on purpose: each targets one rule a reader must keep. */
function structuredOnnx(rng: Prng, dir: string): GeneratedCase {
  const kind = rng.int(8);
  const ext = (location: string, offset: number | string, length: number | string): onnx.ITensorProto => ({
    name: 'w', dims: [4, 4], dataType: 1, dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: [{ key: 'location', value: location }, { key: 'offset', value: String(offset) }, { key: 'length', value: String(length) }],
  });
  const withInit = (t: onnx.ITensorProto) => model({
    name: 'g', input: [vinfo('x', [1, 4])], output: [vinfo('y', [1, 4])], initializer: [t],
    node: [{ opType: 'MatMul', input: ['x', t.name ?? 'w'], output: ['y'] }],
  });
  const data = new Uint8Array(64).fill(1);
  switch (kind) {
    case 0: { // declared 2^40 elements, 16 bytes of data
      const dims = rng.pick([[2 ** 20, 2 ** 20], [2 ** 40], [-1, 4], [2 ** 31, 2 ** 31, 4]]);
      return { name: 'absurd-dims', files: { 'model.onnx': encode(withInit({ name: 'w', dims, dataType: 1, rawData: new Uint8Array(16) })) }, what: `initializer dims ${JSON.stringify(dims)}` };
    }
    case 1: {
      const [off, len] = rng.pick([[-8, 64], [0, 2 ** 53], ['18446744073709551615', 64], [60, 64], [0, -1], ['1e3', 'abc']] as [number | string, number | string][]);
      return { name: 'ext-offsets', files: { 'model.onnx': encode(withInit(ext('w.bin', off, len))), 'w.bin': data }, what: `external data offset ${off} length ${len}` };
    }
    case 2: {
      const loc = rng.pick([...ESCAPING_PATHS, 'link.bin', 'out/hostname', '', 'missing.bin', 'sub/../w.bin', 'weights/w.bin']);
      linkOut(dir);
      const files: Record<string, Uint8Array> = { 'model.onnx': encode(withInit(ext(loc, 0, 64))), 'w.bin': data };
      if (loc === 'weights/w.bin') mkdirSync(join(dir, 'weights'), { recursive: true });
      return { name: 'ext-path', files: loc === 'weights/w.bin' ? { ...files, 'weights/w.bin': data } : files, what: `external data location ${JSON.stringify(loc)}`, expect: refusalOf(loc) };
    }
    case 3: { // deeply nested If subgraphs
      const depth = rng.pick([70, 200, 1000]);
      // Only the then-branch goes deep: sharing one subtree in both branches would encode 2^depth bytes.
      return { name: 'deep-subgraphs', files: { 'model.onnx': encode(model(nestOnce(depth))) }, what: `subgraphs nested ${depth} deep` };
    }
    case 4: {
      const n = rng.pick([100_000, 1_000_000]);
      const ints = Array.from({ length: n }, (_, i) => i);
      return { name: 'huge-attrs', files: { 'model.onnx': encode(model({ name: 'g', input: [vinfo('x', [1])], output: [vinfo('y', [1])],
        node: [{ opType: 'Custom', domain: 'fuzz', input: ['x'], output: ['y'], attribute: [{ name: 'big', type: 7, ints }, ...Array.from({ length: 2000 }, (_, i) => ({ name: `a${i}`, type: 1, f: i }))] }] })) }, what: `attribute list of ${n} ints + 2000 attributes` };
    }
    case 5: // raw_data shorter or longer than the dims say
      return { name: 'raw-size', files: { 'model.onnx': encode(withInit({ name: 'w', dims: [4, 4], dataType: rng.pick([1, 10, 16, 7, 8]), rawData: new Uint8Array(rng.pick([0, 3, 17, 1000])) })) }, what: 'raw_data size differs from dims' };
    case 6: // dims on value_info absurd / negative
      return { name: 'absurd-valueinfo', files: { 'model.onnx': encode(model({ name: 'g', input: [vinfo('x', [-5, 2 ** 62, 'n'])], output: [vinfo('y', [0])], node: [{ opType: 'Relu', input: ['x'], output: ['y'] }] })) }, what: 'value_info with negative and 2^62 dims' };
    default: // typed data fields with absurd dims
      return { name: 'typed-data', files: { 'model.onnx': encode(withInit({ name: 'w', dims: [2 ** 30, 8], dataType: 1, floatData: [1, 2, 3] })) }, what: 'float_data shorter than dims' };
  }
}

function nestOnce(depth: number): onnx.IGraphProto {
  let g: onnx.IGraphProto = { name: 'leaf', node: [{ opType: 'Identity', input: ['x'], output: ['o'] }], output: [vinfo('o', [1])] };
  const flat: onnx.IGraphProto = { name: 'flat', node: [{ opType: 'Identity', input: ['x'], output: ['o'] }], output: [vinfo('o', [1])] };
  for (let i = 0; i < depth; i++) {
    g = { name: `d${i}`, input: [vinfo('x', [1])], node: [{ opType: 'If', input: ['c'], output: ['o'], attribute: [
      { name: 'then_branch', type: 5, g }, { name: 'else_branch', type: 5, g: flat },
    ] }], output: [vinfo('o', [1])] };
  }
  return g;
}

/** TF.js cases: JSON that is not TF.js, broken manifests, shards that leave the folder, mutated text. */
function tfjsCase(rng: Prng, dir: string): GeneratedCase {
  const topology = { class_name: 'Sequential', config: { name: 's', layers: [
    { class_name: 'Dense', config: { name: 'd', units: 2, batch_input_shape: [null, 3] } },
  ] } };
  const manifest = (paths: string[], shape: number[] = [3, 2], dtype = 'float32') => [{ paths, weights: [{ name: 'd/kernel', shape, dtype }, { name: 'd/bias', shape: [2], dtype }] }];
  const json = (m: unknown) => JSON.stringify(m);
  const shard = new Uint8Array(32);
  switch (rng.int(7)) {
    case 0:
      return { name: 'not-tfjs', files: { 'model.json': rng.pick(['{"name":"x","version":1}', '[1,2,3]', '"str"', 'null', '{"modelTopology": 5}', '{"weightsManifest": {}}']) }, what: 'JSON that is not a TF.js model' };
    case 1: {
      const p = rng.pick([...ESCAPING_PATHS, 'link.bin', 'out/hostname', '..%2F..%2Fescape.bin', 'missing.bin', 'weights/w.bin']);
      linkOut(dir);
      const files: Record<string, Uint8Array | string> = { 'model.json': json({ format: 'layers-model', modelTopology: topology, weightsManifest: manifest([p]) }) };
      if (p === 'weights/w.bin') {
        mkdirSync(join(dir, 'weights'), { recursive: true });
        files['weights/w.bin'] = shard;
      }
      return { name: 'shard-path', files, what: `shard path ${JSON.stringify(p)}`, expect: refusalOf(p) };
    }
    case 2: {
      const shape = rng.pick([[2 ** 20, 2 ** 21], [-3, 2], [2 ** 53, 2]]);
      return { name: 'shard-shape', files: { 'model.json': json({ format: 'layers-model', modelTopology: topology, weightsManifest: manifest(['w.bin'], shape) }), 'w.bin': shard }, what: `weight shape ${JSON.stringify(shape)}` };
    }
    case 3:
      return { name: 'shard-short', files: { 'model.json': json({ format: 'layers-model', modelTopology: topology, weightsManifest: manifest(['w.bin']) }), 'w.bin': new Uint8Array(7) }, what: 'shard shorter than the manifest' };
    case 4:
      return { name: 'bad-dtype', files: { 'model.json': json({ format: 'layers-model', modelTopology: topology, weightsManifest: manifest(['w.bin'], [3, 2], rng.pick(['complex1024', '', 'string'])) }), 'w.bin': shard }, what: 'unknown weight dtype' };
    case 5: {
      const text = json({ format: 'layers-model', modelTopology: topology, weightsManifest: manifest(['w.bin']) });
      const at = rng.int(text.length);
      return { name: 'json-truncated', files: { 'model.json': text.slice(0, at), 'w.bin': shard }, what: `model.json truncated at ${at}` };
    }
    default: {
      const text = json({ format: 'graph-model', modelTopology: { node: [
        { name: 'x', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '-1' }, { size: '99999999999999' }] } } } },
        { name: 'y', op: 'Relu', input: ['x', 'nope:7', '^ctrl'] },
      ] }, weightsManifest: [] });
      const chars = text.split('');
      for (let i = 0; i < 3; i++) chars[rng.int(chars.length)] = rng.pick(['{', ']', '"', '9', ',', '\\']);
      return { name: 'graph-mutated', files: { 'model.json': rng.next() < 0.5 ? text : chars.join('') }, what: 'graph model with odd inputs / mutated text' };
    }
  }
}

/** Writes case `i` into its own folder under `root` and says what it is. */
export function makeCase(i: number, rng: Prng, seeds: { name: string; bytes: Uint8Array }[], root: string): FuzzCase {
  const dir = join(root, `case-${String(i).padStart(5, '0')}`);
  mkdirSync(dir, { recursive: true });
  const r = rng.next();
  if (r < 0.6) {
    const seed = rng.pick(seeds);
    const mutation = rng.pick(protobufMutations);
    const { bytes, what } = mutation(seed.bytes, rng);
    const file = join(dir, `${seed.name}.onnx`);
    writeFileSync(file, bytes);
    return { file, what: `${seed.name}: ${what}` };
  }
  const c = r < 0.85 ? structuredOnnx(rng, dir) : tfjsCase(rng, dir);
  for (const [name, content] of Object.entries(c.files)) writeFileSync(join(dir, name), content);
  const main = Object.keys(c.files)[0];
  return { file: join(dir, main), what: `${c.name}: ${c.what}`, ...(c.expect ? { expect: c.expect } : {}) };
}
