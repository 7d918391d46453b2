// Tiny runtime validators for messages that cross a trust boundary (the webview is untrusted input).
// A validator returns undefined when the value is fine, or a short problem sentence.

export type Check = (x: unknown, path: string) => string | undefined;

export const str = (max = 4096): Check => (x, p) =>
  typeof x === 'string' && x.length <= max ? undefined : `${p} must be a string of at most ${max} characters`;

export const num = (min = -Infinity, max = Infinity, integer = false): Check => (x, p) =>
  typeof x === 'number' && Number.isFinite(x) && x >= min && x <= max && (!integer || Number.isInteger(x))
    ? undefined
    : `${p} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}]`;

export const bool: Check = (x, p) => (typeof x === 'boolean' ? undefined : `${p} must be a boolean`);

export const oneOf = (...options: readonly (string | number)[]): Check => (x, p) =>
  options.includes(x as string) ? undefined : `${p} must be one of ${options.join(', ')}`;

export const optional = (c: Check): Check => (x, p) => (x === undefined ? undefined : c(x, p));

export const arrayOf = (c: Check, maxLength = 10_000): Check => (x, p) => {
  if (!Array.isArray(x)) return `${p} must be an array`;
  if (x.length > maxLength) return `${p} has more than ${maxLength} entries`;
  for (let i = 0; i < x.length; i++) {
    const problem = c(x[i], `${p}[${i}]`);
    if (problem) return problem;
  }
  return undefined;
};

/** An object with exactly these keys (unknown keys are rejected: they are a sign of a wrong or forged message). */
export const obj = (shape: Record<string, Check>): Check => (x, p) => {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return `${p} must be an object`;
  // Own keys only: `in` would accept inherited names (constructor, toString, __proto__) as known fields.
  for (const k of Object.keys(x)) if (!Object.prototype.hasOwnProperty.call(shape, k)) return `${p} has unexpected field "${k.slice(0, 60)}"`;
  for (const [k, c] of Object.entries(shape)) {
    const problem = c((x as Record<string, unknown>)[k], `${p}.${k}`);
    if (problem) return problem;
  }
  return undefined;
};

export const nothing: Check = (x, p) =>
  x === undefined || x === null || (typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length === 0)
    ? undefined
    : `${p} must be empty`;
