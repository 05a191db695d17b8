// coldbench's Deno runtime: the Lambda Runtime API loop a Deno layer runs around a module that
// exports a handler (the handler setting "file.export"), as Lambda's managed runtimes do.
// HANDLER_MODULE and HANDLER_NAME are filled in by coldbench when it bundles the function.
const api = `http://${Deno.env.get("AWS_LAMBDA_RUNTIME_API")}/2018-06-01/runtime`;
const handlerSetting = HANDLER_SETTING;

type LambdaError = { errorType: string; errorMessage: string; stackTrace: string[] };

function lambdaError(e: unknown, type?: string): LambdaError {
  const err = e instanceof Error ? e : new Error(String(e));
  return {
    errorType: type ?? err.name ?? "Error",
    errorMessage: err.message,
    stackTrace: (err.stack ?? "").split("\n").slice(1).map((l) => l.trim()),
  };
}

async function initError(e: unknown, type: string): Promise<never> {
  const body = lambdaError(e, type);
  console.error(JSON.stringify(body));
  await fetch(`${api}/init/error`, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "Lambda-Runtime-Function-Error-Type": type },
  });
  Deno.exit(1);
}

let handler: (event: unknown, context: unknown) => unknown;
try {
  const mod = await import(HANDLER_MODULE);
  handler = mod[HANDLER_NAME];
} catch (e) {
  await initError(e, "Runtime.ImportModuleError");
}
if (typeof handler! !== "function") {
  await initError(new Error(`${handlerSetting} is undefined or not exported`), "Runtime.HandlerNotFound");
}

while (true) {
  const next = await fetch(`${api}/invocation/next`);
  const id = next.headers.get("Lambda-Runtime-Aws-Request-Id") ?? "";
  const deadline = Number(next.headers.get("Lambda-Runtime-Deadline-Ms") ?? 0);
  const trace = next.headers.get("Lambda-Runtime-Trace-Id");
  if (trace) Deno.env.set("_X_AMZN_TRACE_ID", trace);
  const event = await next.json();
  const context = {
    awsRequestId: id,
    invokedFunctionArn: next.headers.get("Lambda-Runtime-Invoked-Function-Arn") ?? "",
    functionName: Deno.env.get("AWS_LAMBDA_FUNCTION_NAME") ?? "",
    functionVersion: Deno.env.get("AWS_LAMBDA_FUNCTION_VERSION") ?? "",
    memoryLimitInMB: Deno.env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE") ?? "",
    logGroupName: Deno.env.get("AWS_LAMBDA_LOG_GROUP_NAME") ?? "",
    logStreamName: Deno.env.get("AWS_LAMBDA_LOG_STREAM_NAME") ?? "",
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
  try {
    const result = await handler!(event, context);
    await fetch(`${api}/invocation/${id}/response`, { method: "POST", body: JSON.stringify(result ?? null) });
  } catch (e) {
    const body = lambdaError(e);
    console.error(JSON.stringify(body));
    await fetch(`${api}/invocation/${id}/error`, {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "Lambda-Runtime-Function-Error-Type": "Unhandled" },
    });
  }
}
