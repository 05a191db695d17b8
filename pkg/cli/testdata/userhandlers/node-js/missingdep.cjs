// A CommonJS module requiring a package that package.json does not name.
const leftPad = require("left-pad");

exports.handler = async () => leftPad("x", 3);
