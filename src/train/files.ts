/**
 * Safe file writing for run folders: every file is written to a temporary name and renamed over
 * the target (see data/files.ts), so a crash never leaves a half-written file where a good one was.
 */
import { writeFileAtomic } from '../data/files.js';

export { writeFileAtomic };

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 1) + '\n');
}
