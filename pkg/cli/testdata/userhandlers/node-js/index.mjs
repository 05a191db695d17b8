// A Node.js function as the Lambda console writes it: an ES module exporting an async handler.
const table = process.env.TABLE ?? "orders"; // configuration read at init

export const handler = async (event) => ({ statusCode: 200, body: JSON.stringify({ table, path: event.rawPath ?? null }) });
