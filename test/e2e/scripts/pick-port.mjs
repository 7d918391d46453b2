// Prints a TCP port nothing on 127.0.0.1 holds, for start.sh: MI_E2E_PORT if set (exit 1 when taken), else the first
// free one of 100 from 20000 + (CLONE_ID % 10000), so each clone keeps its own port from one start to the next.
// Usage: node pick-port.mjs <clone id>
import net from 'node:net';

const given = process.env.MI_E2E_PORT;
const base = 20000 + (Number(process.argv[2] ?? 0) % 10000);
const free = (p) => new Promise((ok) => {
  const s = net.createServer().once('error', () => ok(false));
  s.listen(p, '127.0.0.1', () => s.close(() => ok(true)));
});
const candidates = given ? [Number(given)] : Array.from({ length: 100 }, (_, k) => base + k);
for (const p of candidates) {
  if (Number.isInteger(p) && p > 0 && p < 65536 && (await free(p))) {
    console.log(p);
    process.exit(0);
  }
}
console.error(given ? `port ${given} (MI_E2E_PORT) is taken or invalid` : `no free port in ${base}-${base + 99}; set MI_E2E_PORT`);
process.exit(1);
