const ms = require("ms");
const { version } = require("ms/package.json");

// The lock file pins ms 2.1.2 while ^2.1.0 resolves afresh to a later one: the response says which was installed.
exports.handler = async () => ({ ms: version, day: ms("1d") });
