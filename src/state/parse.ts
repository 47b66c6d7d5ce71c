import type { z } from 'zod';
import { StateError } from '../errors.js';

/** Formats zod issues as `path: message` lines a user can act on. */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 8)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/** Parses JSON text from a named file against a schema, with an error that names the file. */
export function parseJsonFile<T>(schema: z.ZodType<T>, text: string, file: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new StateError(`${file} is not valid JSON (${(error as Error).message}); it may be truncated or corrupt.`, {
      actions: [`Inspect or move the file aside: mv ${file} ${file}.corrupt`],
      details: { file },
    });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new StateError(`${file} does not match its schema: ${formatIssues(parsed.error)}.`, {
      actions: [`Inspect or move the file aside: mv ${file} ${file}.corrupt`],
      details: { file },
    });
  }
  return parsed.data;
}
