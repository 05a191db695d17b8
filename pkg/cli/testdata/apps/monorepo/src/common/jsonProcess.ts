// Shared by the runtimes' handlers: one code path, several packages.
export function summarize(items: { id: number; tags: string[] }[]): { count: number; tags: number } {
  const tags = new Set<string>();
  for (const it of items) for (const t of it.tags) tags.add(t);
  return { count: items.length, tags: tags.size };
}
