import { FlowInventory } from '../flows/schema.js';

/** `fwsafe flows --json` */
export const schema = FlowInventory;
