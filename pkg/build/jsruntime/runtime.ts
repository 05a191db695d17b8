// coldbench's JavaScript runtime for Deno and Bun: the Lambda Runtime API loop around a module
// that exports its handlers, bundled (Deno) or compiled (Bun) with it, as a Deno layer's or a Bun
// function's bootstrap runs it. The module is fixed when it is built (HANDLER_MODULE); the export
// is _HANDLER's part after its last dot, read at start (HANDLER_DEFAULT when _HANDLER has none),
// so one build serves every export of its module. Both runtimes have Node's process global.
const api = `http://${process.env.AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime`;
const setting = process.env._HANDLER ?? "";
const name = setting.includes(".") ? setting.slice(setting.lastIndexOf(".") + 1) : HANDLER_DEFAULT;

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
  process.exit(1);
}

let mod: Record<string, unknown> = {};
try {
  mod = await import(HANDLER_MODULE);
} catch (e) {
  await initError(e, "Runtime.ImportModuleError");
}
const handler = mod[name];
if (typeof handler !== "function") {
  await initError(new Error(`${setting} is undefined or not exported`), "Runtime.HandlerNotFound");
}

while (true) {
  const next = await fetch(`${api}/invocation/next`);
  const id = next.headers.get("Lambda-Runtime-Aws-Request-Id") ?? "";
  const deadline = Number(next.headers.get("Lambda-Runtime-Deadline-Ms") ?? 0);
  const trace = next.headers.get("Lambda-Runtime-Trace-Id");
  if (trace) process.env._X_AMZN_TRACE_ID = trace;
  const event = await next.json();
  const context = {
    awsRequestId: id,
    invokedFunctionArn: next.headers.get("Lambda-Runtime-Invoked-Function-Arn") ?? "",
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? "",
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION ?? "",
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? "",
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME ?? "",
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME ?? "",
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
  try {
    const result = await (handler as (e: unknown, c: unknown) => unknown)(event, context);
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
