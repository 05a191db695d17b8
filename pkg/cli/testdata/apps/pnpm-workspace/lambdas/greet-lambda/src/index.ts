import ms from "ms";
import { version } from "ms/package.json";

// The lock file pins ms 2.1.2 while ^2.1.0 resolves afresh to a later one: the response says which was installed.
export const handler = async () => ({ ms: version, day: ms("1d") });
