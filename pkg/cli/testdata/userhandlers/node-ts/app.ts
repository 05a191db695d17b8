// A TypeScript function laid out as SAM's hello-world-typescript template lays it out, with one
// npm dependency, bundled by esbuild (Metadata.BuildMethod esbuild).
import ms from "ms";

interface APIGatewayProxyResult {
  statusCode: number;
  body: string;
}

const timeout = ms("2 days"); // computed at init

export const lambdaHandler = async (): Promise<APIGatewayProxyResult> => {
  return { statusCode: 200, body: JSON.stringify({ message: "hello world", timeoutMs: timeout }) };
};
