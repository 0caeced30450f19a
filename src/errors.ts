/**
 * An error caused by the user's input (an option, a file, a folder), not by a bug.
 * The CLI prints its message on one line and exits with status 2; anything else is a bug.
 * Shared by every layer, so it lives at the root of src/ and imports nothing.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/**
 * Text that is safe to print on one terminal line: control characters (newlines, escape bytes,
 * DEL, C1 controls) become `\n`, `\x1b`, …, and the replacement character U+FFFD that Node puts
 * for bytes that are not UTF-8 is shown as `\ufffd` (a lone surrogate as `\ud800`…). The one place file names and text taken
 * from files are made printable; the CLI applies it to every error line it prints.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffd\p{Cs}]/gu, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
