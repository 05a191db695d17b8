// coldbench's Node.js reference handler: the shape of a typical Node.js Lambda function, an ES
// module exporting its handlers, run by AWS's runtime interface client (aws-lambda-ric) the way
// Lambda's nodejs runtimes run it. The handler setting picks the export: index.work (the unified
// reference workload) or index.hello (returns at once, to isolate the runtime's own init).
import { checksum, ITERATIONS } from "./workload.mjs";

// Created at init, as real handlers create their SDK clients.
const outbound = process.env.COLDBENCH_OUTBOUND_URL;

export const hello = async () => ({ runtime: "node", hello: "world" });

export const work = async () => {
  const sum = checksum(ITERATIONS);
  let status = 0;
  if (outbound) {
    const resp = await fetch(outbound);
    status = resp.status;
    await resp.arrayBuffer();
  }
  return { runtime: "node", iterations: ITERATIONS, checksum: sum.toString(16).padStart(8, "0"), outbound_status: status };
};
