// Shared test vectors: handlers/go, handlers/rust, handlers/deno and handlers/node check the same values.
import { expect, test } from "bun:test";
import { checksum } from "./workload.ts";

test("checksum vectors", () => {
  expect(checksum(0)).toBe(0x811c9dc5);
  expect(checksum(1)).toBe(0x050c5707);
  expect(checksum(1000)).toBe(0xa88c00f1);
});
