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

/**
 * Any error's text on one line (runs of whitespace, newlines included, become one space), at most `max` characters:
 * what the user sees in a message must be one readable line, without losing what a runtime said on its later lines.
 * '' when there is no text, so callers can fall back with `||`.
 */
export function oneLine(e: unknown, max = 300): string {
  const s = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

function baseName(p: string): string {
  const parts = p.split(/[\\/]/);
  return parts[parts.length - 1] || p;
}
