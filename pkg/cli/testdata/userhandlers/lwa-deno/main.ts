// A function that is an HTTP server, in the shape of otsu81/node-bun-deno-lambda-benchmark's Deno
// handlers (run behind the Lambda Web Adapter): Deno.serve on 8080, GET for the adapter's
// readiness check, the event POSTed as JSON (the adapter's pass-through) and JSON back.
function sortedSample(size: number, seed: number): number[] {
  let x = seed >>> 0;
  const out = new Array<number>(size);
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0; // a seeded LCG: the same work every run
    out[i] = x;
  }
  return out.sort((a, b) => a - b);
}

Deno.serve({
  port: Number(Deno.env.get("PORT") ?? 8080),
  handler: async (req) => {
    if (req.method === "GET") return new Response("OK");
    const { size = 1000, seed = 1 } = await req.json();
    const start = performance.now();
    const sorted = sortedSample(size, seed);
    return new Response(JSON.stringify({ size, median: sorted[size >> 1], durationMs: performance.now() - start }), {
      headers: { "Content-Type": "application/json" },
    });
  },
});
