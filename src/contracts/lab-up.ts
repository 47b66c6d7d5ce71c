import { LabRecord } from '../lab/schema.js';

/** `fwsafe lab up --json` */
export const schema = LabRecord;
