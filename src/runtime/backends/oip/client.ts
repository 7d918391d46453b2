import type { NdArray } from '../../../formats/arrays/ndarray';
import { checkShape, decodeInferResponse, encodeInferRequest, HEADER_LENGTH, parseJson, ProtocolError, type DecodedResponse } from './codec';
import { isOipDatatype, type OipDatatype } from './datatypes';
import { request, ServerError, type HttpAnswer, type HttpTarget } from './http';

// The protocol's REST endpoints (kserve/open-inference-protocol, specification/protocol/inference_rest.md), one
// method each, their answers checked before anyone reads them.

export interface ServerMetadata {
  name: string;
  version: string;
  extensions: string[];
}

export interface TensorMetadata {
  name: string;
  datatype: OipDatatype;
  /** -1 for a variable dimension. */
  shape: number[];
}

export interface ModelMetadata {
  name: string;
  versions?: string[];
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The `{"error": "..."}` of a failed request, or the start of whatever else came back. */
export function errorAnswer(a: HttpAnswer): ServerError {
  let detail = '';
  try {
    const j = parseJson(a.body, 'error');
    detail = isObject(j) && typeof j.error === 'string' ? j.error : JSON.stringify(j);
  } catch {
    detail = new TextDecoder().decode(a.body.subarray(0, 200));
  }
  detail = detail.replace(/\s+/g, ' ').trim().slice(0, 300);
  return new ServerError(`${a.what} answered HTTP ${a.status}${detail ? `: ${detail}` : ''}`, a.status);
}

function tensors(x: unknown, what: string): TensorMetadata[] {
  if (!Array.isArray(x)) throw new ProtocolError(`the model metadata has no ${what} list`);
  return x.map((t, i) => {
    if (!isObject(t) || typeof t.name !== 'string') throw new ProtocolError(`${what} ${i} of the model metadata has no name`);
    if (!isOipDatatype(t.datatype)) throw new ProtocolError(`${what} "${t.name}" of the model metadata has datatype ${JSON.stringify(t.datatype)?.slice(0, 40)}, not one of the protocol's`);
    return { name: t.name, datatype: t.datatype, shape: checkShape(t.shape, `${what} "${t.name}"`, true) };
  });
}

export class OipClient {
  /** `/v2/models/{name}[/versions/{version}]` */
  readonly modelPath: string;

  constructor(
    readonly target: HttpTarget,
    readonly model: string,
    readonly version: string | undefined,
  ) {
    this.modelPath = `/v2/models/${encodeURIComponent(model)}${version ? `/versions/${encodeURIComponent(version)}` : ''}`;
  }

  private async getJson(path: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const a = await request(this.target, 'GET', path, { signal });
    if (a.status !== 200) throw errorAnswer(a);
    const j = parseJson(a.body, `the answer to ${a.what}`);
    if (!isObject(j)) throw new ProtocolError(`the answer to ${a.what} is not a JSON object`);
    return j;
  }

  /** `GET /v2`: name, version and extensions (`binary_tensor_data`, Triton's `model_configuration`, …). */
  async serverMetadata(signal?: AbortSignal): Promise<ServerMetadata> {
    const j = await this.getJson('/v2', signal);
    const ext = Array.isArray(j.extensions) ? j.extensions.filter((x): x is string => typeof x === 'string') : [];
    return { name: typeof j.name === 'string' ? j.name : '', version: typeof j.version === 'string' ? j.version : '', extensions: ext };
  }

  /** Health probes answer by status: 200 is yes (Triton sends no body; KServe sends `{"live": true}`). */
  private async probe(path: string, field: 'live' | 'ready', signal?: AbortSignal): Promise<boolean> {
    const a = await request(this.target, 'GET', path, { signal });
    if (a.status !== 200) return false;
    if (!a.body.length) return true;
    try {
      const j = parseJson(a.body, path);
      return !(isObject(j) && j[field] === false);
    } catch {
      return true; // a 200 with a body we cannot read still says yes
    }
  }

  live(signal?: AbortSignal): Promise<boolean> {
    return this.probe('/v2/health/live', 'live', signal);
  }

  ready(signal?: AbortSignal): Promise<boolean> {
    return this.probe('/v2/health/ready', 'ready', signal);
  }

  modelReady(signal?: AbortSignal): Promise<boolean> {
    return this.probe(`${this.modelPath}/ready`, 'ready', signal);
  }

  async modelMetadata(signal?: AbortSignal): Promise<ModelMetadata> {
    const j = await this.getJson(this.modelPath, signal);
    if (typeof j.name !== 'string') throw new ProtocolError('the model metadata has no name');
    const versions = Array.isArray(j.versions) ? j.versions.map(String) : undefined;
    return {
      name: j.name,
      ...(versions ? { versions } : {}),
      platform: typeof j.platform === 'string' ? j.platform : '',
      inputs: tensors(j.inputs, 'input'),
      outputs: tensors(j.outputs, 'output'),
    };
  }

  /** Triton's model configuration extension: the model's `max_batch_size` (0: the server does not batch it). */
  async maxBatchSize(signal?: AbortSignal): Promise<number | undefined> {
    const j = await this.getJson(`${this.modelPath}/config`, signal);
    const m = j.max_batch_size;
    return typeof m === 'number' && Number.isSafeInteger(m) && m > 0 ? m : undefined;
  }

  /** `POST …/infer`: these inputs, these outputs, as binary data when `binary`. */
  async infer(inputs: ReadonlyMap<string, NdArray>, outputs: readonly string[], binary: boolean, signal?: AbortSignal): Promise<DecodedResponse> {
    const req = encodeInferRequest(inputs, outputs, binary);
    const a = await request(this.target, 'POST', `${this.modelPath}/infer`, { body: req.body, headers: req.headers, signal });
    if (a.status !== 200) throw errorAnswer(a);
    const h = a.headers.get(HEADER_LENGTH);
    return decodeInferResponse(a.body, h === null ? undefined : Number(h));
  }
}
