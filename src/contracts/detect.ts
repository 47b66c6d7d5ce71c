import { DetectResult } from '../detect/schema.js';

/** `fwsafe detect --json` */
export const schema = DetectResult;
