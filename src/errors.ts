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
