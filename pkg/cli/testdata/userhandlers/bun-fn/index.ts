// A Bun function: a module exporting its handler, compiled to a bootstrap with bun build --compile.
const table = process.env.TABLE ?? "orders"; // configuration read at init

export async function handler(event: { name?: string }) {
  return { statusCode: 200, body: `hello ${event.name ?? "bun"} from ${table}`, bun: Bun.version };
}
