import type { z } from 'zod';
import { DetectResult } from '../detect/schema.js';

/** `fwsafe detect --json` */
export const schema = DetectResult;
export type DetectResultT = z.infer<typeof schema>;
