import { chainOwner, type Owner } from '../../backends/owners.js';

// Chains another program creates for the admin's own rules: their content is the admin's.
const USER_HOOKS = new Set(['DOCKER-USER']);

/** The software owning a chain's content (docker for DOCKER, not for DOCKER-USER); null: the admin's. */
export function foreignOwner(chain: string): Owner | null {
  return USER_HOOKS.has(chain) ? null : chainOwner(chain);
}
