// Imports fine and throws in every invocation.
export const handler = async () => {
  const items = undefined;
  return items.length;
};
