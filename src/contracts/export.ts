import { z } from 'zod';
import { ExportDocument } from '../export/schema.js';

/** `fwsafe export --json`: with --out, where it was written; without, the export document itself. */
export const schema = z.union([
  ExportDocument,
  z.strictObject({ out: z.string(), hash: ExportDocument.shape.hash, summary: ExportDocument.shape.summary }),
]);
export type ExportResultT = z.infer<typeof schema>;
