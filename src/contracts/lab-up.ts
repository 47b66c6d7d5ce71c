import type { z } from 'zod';
import { LabRecord } from '../lab/schema.js';

/** `fwsafe lab up --json` */
export const schema = LabRecord;
export type LabUpResultT = z.infer<typeof schema>;
