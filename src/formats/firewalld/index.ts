import { extname } from 'node:path';
import { looksLikeFirewalld } from './operations.js';

export { planFirewalld } from './plan.js';
export { parseFirewalldProposal } from './operations.js';

/** A firewalld proposal: named *.firewalld, or every operation line starts with -- (or firewall-cmd). Cheap, never throws. */
export function isFirewalldProposal(path: string, text: string): boolean {
  return extname(path) === '.firewalld' || looksLikeFirewalld(text);
}
