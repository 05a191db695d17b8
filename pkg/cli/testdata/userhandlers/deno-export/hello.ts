// A Deno function in the style of a Deno Lambda layer: a module that exports its handler, run by
// the layer's Runtime API loop with _HANDLER=hello.handler.
import { greet } from "./greeting.ts";

const startedAt = Date.now(); // module scope runs in init
const punctuation = Deno.env.get("PUNCTUATION") ?? "";

export async function handler(event: { name?: string }, context: { awsRequestId: string }) {
  return { statusCode: 200, body: greet(event.name ?? "world") + punctuation, requestId: context.awsRequestId, initAt: startedAt };
}
