import { currentWhere } from '../host/identity.js';
import { takeSnapshot } from '../snapshot/take.js';
import { EXPORT_FORMAT, EXPORT_VERSION, ExportDocument, type ExportDocumentT } from './schema.js';

/** The live ruleset of a namespace as an export document (one text listing per backend, no JSON model). */
export async function createExport(netns: string | null): Promise<ExportDocumentT> {
  const { snapshot } = await takeSnapshot(netns, { json: false, generation: false });
  return ExportDocument.parse({
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt: snapshot.takenAt,
    netns,
    where: currentWhere(netns),
    hash: snapshot.hash,
    nft: snapshot.nft.text,
    iptablesNft: snapshot.iptablesNft,
    iptablesLegacy: snapshot.iptablesLegacy,
    firewalld: snapshot.firewalld,
    summary: snapshot.summary,
  });
}
