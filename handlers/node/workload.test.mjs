// Shared test vectors: handlers/go, handlers/rust and handlers/deno check the same values.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checksum } from "./workload.mjs";

test("checksum vectors", () => {
  assert.equal(checksum(0), 0x811c9dc5);
  assert.equal(checksum(1), 0x050c5707);
  assert.equal(checksum(1000), 0xa88c00f1);
});
