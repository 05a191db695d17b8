import { z } from "zod";
import { summarize } from "../../common/jsonProcess";

const Item = z.object({ id: z.number(), tags: z.array(z.string()) });

export const handler = async (event: unknown) => {
  const items = z.array(Item).parse((event as { items?: unknown })?.items ?? []);
  return { statusCode: 200, body: JSON.stringify(summarize(items)) };
};
