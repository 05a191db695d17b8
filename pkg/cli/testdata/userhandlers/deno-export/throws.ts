// Imports fine and throws in every invocation: the handler's own error type.
export function handler() {
  throw new TypeError("items is undefined");
}
