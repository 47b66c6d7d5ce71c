import type { z } from 'zod';
import { FlowInventory } from '../flows/schema.js';

/** `fwsafe flows --json` */
export const schema = FlowInventory;
export type FlowsResultT = z.infer<typeof schema>;
