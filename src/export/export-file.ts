import { resolve } from 'node:path';
import { writeFileAtomic } from '../state/fs-safe.js';
import { checkPlanOutPath } from '../plan/plan-file.js';
import { FwsafeError, UserError } from '../errors.js';
import type { ExportDocumentT } from './schema.js';

/** Writes an export atomically (0600: the admin decides who may read the host's rules). */
export function writeExportFile(path: string, doc: ExportDocumentT): void {
  checkPlanOutPath(path, 'export');
  try {
    writeFileAtomic(resolve(path), `${JSON.stringify(doc, null, 2)}\n`);
  } catch (error) {
    if (error instanceof FwsafeError) throw error;
    throw new UserError(`Cannot write the export to ${path}: ${(error as Error).message}.`, {
      code: 'EXPORT_OUT_UNWRITABLE',
    });
  }
}
