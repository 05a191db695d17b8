// Throws while it is imported: Lambda reports Runtime.ImportModuleError at init.
import { greet } from "./greeting.ts";

if (greet("x")) {
  throw new Error("cannot reach the configuration service");
}

export const handler = () => "never";
