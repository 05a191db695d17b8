// coldbench's Bun reference handler: a module exporting its handlers, compiled to a single
// executable with `bun build --compile` together with coldbench's Runtime API loop (a Bun function
// ships as a provided.al2023 bootstrap). The handler setting picks the export: index.work (the
// unified reference workload) or index.hello (returns at once, to isolate the runtime's own init).
import { checksum, ITERATIONS } from "./workload.ts";

// Read at init, as real handlers create their SDK clients there.
const outbound = process.env.COLDBENCH_OUTBOUND_URL;

export const hello = async () => ({ runtime: "bun", hello: "world" });

export const work = async () => {
  const sum = checksum(ITERATIONS);
  let status = 0;
  if (outbound) {
    const resp = await fetch(outbound);
    status = resp.status;
    await resp.arrayBuffer();
  }
  return { runtime: "bun", iterations: ITERATIONS, checksum: sum.toString(16).padStart(8, "0"), outbound_status: status };
};
