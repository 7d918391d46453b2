// Child process of the oip bench: serves one ONNX file over the Open Inference Protocol (the tests' server) and
// prints its URL; stops when the parent disconnects. A process of its own, so that the server's work does not share
// the client's event loop.
import { startOipServer } from '../../test/support/oip-server';

async function main(): Promise<void> {
  const [path, maxBatch] = process.argv.slice(2);
  const server = await startOipServer({ models: { bench: { path, maxBatchSize: Number(maxBatch) } } });
  process.send!({ url: server.url });
  process.on('disconnect', () => void server.close().then(() => process.exit(0)));
}

void main();
