export function handler() {
  throw new RangeError("page out of range");
}
