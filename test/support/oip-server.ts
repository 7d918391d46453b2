/**
 * An Open Inference Protocol (KServe v2) server for tests and benches, written from the specification
 * (kserve/open-inference-protocol inference_rest.md) and Triton's binary tensor data extension, independently of the
 * client under test: it serves ONNX files through onnxruntime-node on 127.0.0.1 and a free port.
 *
 *   const s = await startOipServer({ models: { tiny: { path: 'examples/tiny-cnn.onnx' } } });
 *   s.url            // http://127.0.0.1:<port>
 *   s.fault = { kind: 'status500', afterInfers: 2 };  // the third inference answers 500
 *   s.requests       // every request seen: method, path, headers, body size
 *   await s.close();
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import * as ort from 'onnxruntime-node';

export interface ServedModel {
  path: string;
  /** Versions listed in the metadata; the first is the default. */
  versions?: string[];
  /** Reported by the model_configuration extension (Triton's `max_batch_size`); 0 or absent: none. */
  maxBatchSize?: number;
  /** Refuse requests whose batch (first input's first dimension) is larger, as Triton does. */
  enforceMaxBatch?: boolean;
  /** Overrides the metadata (to serve "another model" under this name). */
  metadata?: { inputs: TensorMeta[]; outputs: TensorMeta[] };
}

interface TensorMeta {
  name: string;
  datatype: string;
  shape: number[];
}

export type FaultKind =
  | 'status500' | 'slow' | 'malformedJson' | 'wrongDatatype' | 'wrongShape' | 'oversize' | 'oversizeChunked' | 'redirectAway' | 'redirectSame' | 'dropConnection' | 'notReady';

export interface Fault {
  kind: FaultKind;
  /** Inferences answered normally before the fault starts (default 0). */
  afterInfers?: number;
  /** 'slow': how long to wait before answering. */
  delayMs?: number;
  /** 'redirectAway': where to send the client. */
  location?: string;
}

export interface SeenRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  bodyBytes: number;
  /** For inferences: the first input's first dimension. */
  batch?: number;
}

export interface OipTestServer {
  readonly url: string;
  readonly requests: SeenRequest[];
  fault: Fault | undefined;
  /** Extensions listed by GET /v2. */
  extensions: string[];
  /** A request without this header value answers 401 (when set). */
  requireHeader: { name: string; value: string } | undefined;
  inferCount: number;
  /** Inferences whose client went away before the answer was sent (a cancel that reached the server). */
  abandoned: number;
  close(): Promise<void>;
}

const ORT_TO_OIP: Record<string, string> = {
  bool: 'BOOL', uint8: 'UINT8', uint16: 'UINT16', uint32: 'UINT32', uint64: 'UINT64', int8: 'INT8', int16: 'INT16', int32: 'INT32',
  int64: 'INT64', float16: 'FP16', float32: 'FP32', float64: 'FP64', string: 'BYTES',
};
const OIP_TO_ORT = Object.fromEntries(Object.entries(ORT_TO_OIP).map(([k, v]) => [v, k]));
const BYTES_PER: Record<string, number> = { BOOL: 1, UINT8: 1, INT8: 1, UINT16: 2, INT16: 2, FP16: 2, UINT32: 4, INT32: 4, FP32: 4, UINT64: 8, INT64: 8, FP64: 8 };
const ARRAY: Record<string, new (b: ArrayBuffer, o: number, n: number) => ArrayLike<number | bigint>> = {
  BOOL: Uint8Array, UINT8: Uint8Array, INT8: Int8Array, UINT16: Uint16Array, INT16: Int16Array, FP16: Uint16Array, UINT32: Uint32Array,
  INT32: Int32Array, FP32: Float32Array, UINT64: BigUint64Array, INT64: BigInt64Array, FP64: Float64Array,
};

class HttpFailure extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

interface Loaded {
  session: ort.InferenceSession;
  spec: ServedModel;
  meta: { inputs: TensorMeta[]; outputs: TensorMeta[] };
}

export async function startOipServer(o: { models: Record<string, ServedModel>; extensions?: string[] }): Promise<OipTestServer> {
  const models = new Map<string, Loaded>();
  for (const [name, spec] of Object.entries(o.models)) {
    const session = await ort.InferenceSession.create(spec.path);
    const metaOf = (m: readonly ort.InferenceSession.ValueMetadata[]): TensorMeta[] =>
      m.map((v) => ({ name: v.name, datatype: v.isTensor ? ORT_TO_OIP[v.type] : 'BYTES', shape: v.isTensor ? v.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) : [] }));
    models.set(name, { session, spec, meta: spec.metadata ?? { inputs: metaOf(session.inputMetadata), outputs: metaOf(session.outputMetadata) } });
  }
  const sockets = new Set<Socket>();
  const state: OipTestServer = {
    url: '',
    requests: [],
    fault: undefined,
    extensions: o.extensions ?? ['binary_tensor_data', 'model_configuration'],
    requireHeader: undefined,
    inferCount: 0,
    abandoned: 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await Promise.all([...models.values()].map((m) => m.session.release()));
    },
  };
  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((e: unknown) => {
      const status = e instanceof HttpFailure ? e.status : 500;
      if (!res.headersSent) json(res, status, { error: e instanceof Error ? e.message : String(e) });
      else res.destroy();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  (state as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const seen: SeenRequest = { method: req.method ?? '', path, headers: { ...req.headers }, bodyBytes: body.length };
    state.requests.push(seen);
    const rh = state.requireHeader;
    if (rh && req.headers[rh.name.toLowerCase()] !== rh.value) throw new HttpFailure(401, 'unauthorized');
    if (req.method === 'GET' && path === '/v2') return json(res, 200, { name: 'oip-test-server', version: '1.0', extensions: state.extensions });
    if (req.method === 'GET' && (path === '/v2/health/live' || path === '/v2/health/ready')) {
      const ready = state.fault?.kind !== 'notReady' || path.endsWith('live');
      return json(res, ready ? 200 : 503, path.endsWith('live') ? { live: true } : { ready });
    }
    const m = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(\/ready|\/config|\/infer)?$/.exec(path);
    if (!m) throw new HttpFailure(404, `no route ${req.method} ${path}`);
    const name = decodeURIComponent(m[1]);
    const model = models.get(name);
    const versions = model?.spec.versions ?? ['1'];
    if (!model) throw new HttpFailure(404, `model ${name} is not served`);
    const version = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
    if (version !== undefined && !versions.includes(version)) throw new HttpFailure(404, `model ${name} has no version ${version}`);
    const what = m[3];
    if (req.method === 'GET' && what === undefined) return json(res, 200, { name, versions, platform: 'onnxruntime_onnx', inputs: model.meta.inputs, outputs: model.meta.outputs });
    if (req.method === 'GET' && what === '/ready') {
      const ready = state.fault?.kind !== 'notReady';
      return json(res, ready ? 200 : 400, { name, ready });
    }
    if (req.method === 'GET' && what === '/config' && state.extensions.includes('model_configuration')) return json(res, 200, { name, max_batch_size: model.spec.maxBatchSize ?? 0 });
    if (req.method === 'POST' && what === '/infer') return infer(model, name, version ?? versions[0], req, body, res, seen);
    throw new HttpFailure(405, `${req.method} ${path} is not part of the protocol`);
  }

  async function infer(model: Loaded, name: string, version: string, req: IncomingMessage, body: Buffer, res: ServerResponse, seen: SeenRequest): Promise<void> {
    const n = state.inferCount++;
    res.on('close', () => {
      if (!res.writableFinished) state.abandoned++;
    });
    const fault = state.fault && n >= (state.fault.afterInfers ?? 0) ? state.fault : undefined;
    if (fault?.kind === 'status500') throw new HttpFailure(500, 'the model failed (injected fault)');
    if (fault?.kind === 'dropConnection') return void req.socket.destroy();
    if (fault?.kind === 'redirectAway' || fault?.kind === 'redirectSame') {
      res.writeHead(307, { location: fault.kind === 'redirectSame' ? req.url! : fault.location! });
      if (fault.kind === 'redirectSame') state.fault = undefined; // one hop, then answer
      return void res.end();
    }
    const headerLength = req.headers['inference-header-content-length'];
    const jsonEnd = headerLength === undefined ? body.length : Number(headerLength);
    const request = JSON.parse(body.subarray(0, jsonEnd).toString('utf8')) as {
      inputs: { name: string; shape: number[]; datatype: string; data?: unknown[]; parameters?: { binary_data_size?: number } }[];
      outputs?: { name: string; parameters?: { binary_data?: boolean } }[];
      parameters?: { binary_data_output?: boolean };
    };
    let offset = jsonEnd;
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of request.inputs) {
      const size = input.parameters?.binary_data_size;
      const count = input.shape.reduce((a, b) => a * b, 1);
      const type = OIP_TO_ORT[input.datatype];
      if (!type) throw new HttpFailure(400, `unknown datatype ${input.datatype}`);
      let data: ort.Tensor.DataType;
      if (size !== undefined) {
        const bytes = new Uint8Array(body.subarray(offset, offset + size)); // a copy: aligned for the typed view
        offset += size;
        if (input.datatype === 'BYTES') {
          const strings: string[] = [];
          for (let p = 0; p < bytes.length;) {
            const len = new DataView(bytes.buffer).getUint32(p, true);
            strings.push(Buffer.from(bytes.subarray(p + 4, p + 4 + len)).toString('utf8'));
            p += 4 + len;
          }
          data = strings;
        } else {
          if (size !== count * BYTES_PER[input.datatype]) throw new HttpFailure(400, `input ${input.name}: ${size} bytes for ${count} ${input.datatype}`);
          data = new ARRAY[input.datatype](bytes.buffer, 0, count) as unknown as ort.Tensor.DataType;
        }
      } else {
        const flat = (input.data ?? []).flat(64);
        if (flat.length !== count) throw new HttpFailure(400, `input ${input.name}: ${flat.length} values for shape [${input.shape.join(', ')}]`);
        if (input.datatype === 'BYTES') data = flat as string[];
        else if (input.datatype === 'INT64') data = BigInt64Array.from(flat as number[], (v) => BigInt(v));
        else if (input.datatype === 'UINT64') data = BigUint64Array.from(flat as number[], (v) => BigInt(v));
        else if (input.datatype === 'BOOL') data = Uint8Array.from(flat as boolean[], (v) => (v ? 1 : 0));
        else if (input.datatype === 'FP16') throw new HttpFailure(400, 'FP16 as JSON is not supported by this server');
        else data = (ARRAY[input.datatype] as unknown as { from(x: number[]): ort.Tensor.DataType }).from(flat as number[]);
      }
      feeds[input.name] = new ort.Tensor(type as 'float32', data as Float32Array, input.shape);
      if (seen.batch === undefined) seen.batch = input.shape[0];
    }
    const limit = model.spec.maxBatchSize;
    if (model.spec.enforceMaxBatch && limit && (seen.batch ?? 0) > limit) throw new HttpFailure(400, `batch ${seen.batch} is larger than max_batch_size ${limit}`);
    let result: ort.InferenceSession.OnnxValueMapType;
    try {
      result = await model.session.run(feeds);
    } catch (e) {
      throw new HttpFailure(400, `inference failed: ${(e as Error).message.split('\n')[0]}`);
    }
    if (fault?.kind === 'slow') {
      // Until the delay passes or the client goes: a gone client leaves no timer keeping the process alive.
      await new Promise<void>((r) => {
        const timer = setTimeout(r, fault.delayMs ?? 5000);
        res.on('close', () => {
          clearTimeout(timer);
          r();
        });
      });
      if (res.destroyed) return;
    }
    const wanted = request.outputs?.length ? request.outputs : model.session.outputNames.map((o) => ({ name: o, parameters: undefined }));
    const allBinary = request.parameters?.binary_data_output === true;
    const chunks: Buffer[] = [];
    const outputs = wanted.map((w) => {
      const t = result[w.name] as ort.Tensor | undefined;
      if (!t) throw new HttpFailure(400, `unknown output ${w.name}`);
      let datatype = ORT_TO_OIP[t.type];
      let shape = [...t.dims];
      if (fault?.kind === 'wrongDatatype') datatype = datatype === 'FP32' ? 'FP64' : 'FP32';
      if (fault?.kind === 'wrongShape') shape = [shape.reduce((a, b) => a * b, 1)];
      const binary = state.extensions.includes('binary_tensor_data') && (w.parameters?.binary_data ?? allBinary);
      if (binary) {
        const d = t.data as Exclude<ort.Tensor.DataType, string[]>;
        let bytes = Buffer.from(d.buffer, d.byteOffset, d.byteLength);
        if (fault?.kind === 'wrongDatatype') bytes = Buffer.concat([bytes, bytes]).subarray(0, (bytes.length / BYTES_PER[ORT_TO_OIP[t.type]]) * BYTES_PER[datatype]);
        chunks.push(bytes);
        return { name: w.name, datatype, shape, parameters: { binary_data_size: bytes.length } };
      }
      const data = t.type === 'int64' || t.type === 'uint64' ? Array.from(t.data as BigInt64Array, Number) : t.type === 'bool' ? Array.from(t.data as Uint8Array, Boolean) : Array.from(t.data as Float32Array);
      return { name: w.name, datatype, shape, data };
    });
    let head = JSON.stringify({ model_name: name, model_version: version, outputs });
    if (fault?.kind === 'malformedJson') head = head.slice(0, head.length - 7);
    const headBytes = Buffer.from(head, 'utf8');
    if (fault?.kind === 'oversizeChunked') {
      // No Content-Length: the client can only count what streams in.
      res.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < 64 && !res.destroyed; i++) await new Promise<void>((r) => res.write(Buffer.alloc(1 << 20, 32), () => r()));
      return void res.end();
    }
    const all = Buffer.concat([headBytes, ...chunks, ...(fault?.kind === 'oversize' ? [Buffer.alloc(8 << 20)] : [])]);
    res.writeHead(200, {
      'content-type': chunks.length ? 'application/octet-stream' : 'application/json',
      'content-length': String(all.length),
      ...(chunks.length ? { 'inference-header-content-length': String(headBytes.length) } : {}),
    });
    res.end(all);
  }
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A bare HTTP server that records what reaches it (the other origin of redirect tests). */
export async function startRecorder(): Promise<{ url: string; seen: SeenRequest[]; close(): Promise<void> }> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', path: req.url ?? '', headers: { ...req.headers }, bodyBytes: 0 });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"outputs":[]}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
