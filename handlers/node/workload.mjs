/** Iterations of the checksum loop: the same number in every compiled and JIT reference. */
export const ITERATIONS = 50_000_000;

/**
 * The unified CPU workload (handlers/README.md): a 32-bit FNV-1a-style mix, bit-for-bit the same
 * as the Go and Rust handlers thanks to Math.imul and unsigned shifts.
 */
export function checksum(n) {
  let h = 2166136261;
  for (let i = 0; i < n; i++) {
    h = (h ^ i) >>> 0;
    h = Math.imul(h, 16777619) >>> 0;
    h = (h ^ (h >>> 15)) >>> 0;
  }
  return h;
}
