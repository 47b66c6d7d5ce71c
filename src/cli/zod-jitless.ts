// zod 4 compiles a parser for each object schema (new Function) on its first parse: in a process that
// parses a record or two and exits (status, confirm), that costs more than it saves. Same validation,
// interpreted. Imported for its effect, dynamically (only `config` is bundled: see scripts/bundle-fast.js).
import { config } from 'zod';

config({ jitless: true });
