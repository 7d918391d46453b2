/** xorshift32: reproducible 32-bit words for test data (the data only needs to vary, not to be good randomness). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}
