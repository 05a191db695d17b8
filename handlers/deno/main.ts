// coldbench's Deno reference handler: a Lambda custom runtime in TypeScript, polling the Runtime
// API with fetch as a hand-written Deno runtime does, and doing the unified reference workload.
// _HANDLER picks the function: "work" (the default) runs the workload, "hello" returns at once.
import { checksum, ITERATIONS } from "./workload.ts";

const api = `http://${Deno.env.get("AWS_LAMBDA_RUNTIME_API")}/2018-06-01/runtime`;
const outbound = Deno.env.get("COLDBENCH_OUTBOUND_URL");

type Handler = (event: unknown) => Promise<unknown>;

const handlers: Record<string, Handler> = {
  hello: () => Promise.resolve({ runtime: "deno", hello: "world" }),
  work: async () => {
    const sum = checksum(ITERATIONS);
    let status = 0;
    if (outbound) {
      const resp = await fetch(outbound);
      status = resp.status;
      await resp.arrayBuffer();
    }
    return {
      runtime: "deno",
      iterations: ITERATIONS,
      checksum: sum.toString(16).padStart(8, "0"),
      outbound_status: status,
    };
  },
};

const name = Deno.env.get("_HANDLER") || "work";
const handler = handlers[name];
if (!handler) {
  await fetch(`${api}/init/error`, {
    method: "POST",
    headers: { "Lambda-Runtime-Function-Error-Type": "Runtime.HandlerNotFound" },
    body: JSON.stringify({
      errorType: "Runtime.HandlerNotFound",
      errorMessage: `unknown handler ${name}; valid: ${Object.keys(handlers).join(", ")}`,
    }),
  });
  Deno.exit(1);
}

while (true) {
  const next = await fetch(`${api}/invocation/next`);
  const id = next.headers.get("Lambda-Runtime-Aws-Request-Id");
  const event = await next.json();
  try {
    const result = await handler(event);
    const r = await fetch(`${api}/invocation/${id}/response`, { method: "POST", body: JSON.stringify(result) });
    await r.body?.cancel();
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    const r = await fetch(`${api}/invocation/${id}/error`, {
      method: "POST",
      headers: { "Lambda-Runtime-Function-Error-Type": "Unhandled" },
      body: JSON.stringify({ errorType: e.name, errorMessage: e.message, stackTrace: (e.stack ?? "").split("\n") }),
    });
    await r.body?.cancel();
  }
}
