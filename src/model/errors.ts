/**
 * The one error type readers throw for bad input. The message always starts with the file's name and then
 * says the problem in one line, because that is what the user sees (editor, CLI `{"error"}`, logs).
 */
export class ModelError extends Error {
  override readonly name = 'ModelError';
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${baseName(file)}: ${problem}`);
  }
}

function baseName(p: string): string {
  const parts = p.split(/[\\/]/);
  return parts[parts.length - 1] || p;
}
