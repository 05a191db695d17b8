import { checksum, ITERATIONS } from "./workload.ts";

// Shared test vectors: handlers/go and handlers/rust check the same values.
Deno.test("checksum vectors", () => {
  const cases: [number, number][] = [[0, 0x811c9dc5], [1, 0x050c5707], [1000, 0xa88c00f1], [ITERATIONS, 0x3998a4be]];
  for (const [n, want] of cases) {
    const got = checksum(n);
    if (got !== want) throw new Error(`checksum(${n}) = ${got.toString(16)}, want ${want.toString(16)}`);
  }
});
