import { chainOwner, type Owner } from '../../backends/owners.js';
import { targetOf } from './parse.js';

// Chains another program creates for the admin's own rules: their content is the admin's.
const USER_HOOKS = new Set(['DOCKER-USER']);

/** The software owning a chain's content (docker for DOCKER, not for DOCKER-USER); null: the admin's. */
export function foreignOwner(chain: string): Owner | null {
  return USER_HOOKS.has(chain) ? null : chainOwner(chain);
}

/** A rule the admin owns: it does not jump into another program's chain (docker recreates those jumps). */
export function ownRule(rule: string): boolean {
  const target = targetOf(rule.split(/\s+/));
  return target === null || foreignOwner(target) === null;
}
