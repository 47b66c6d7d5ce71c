import { conformanceShard } from '../helpers/conformance.js';

// The conformance corpus (test/fixtures/conformance), shard 1 of 3: split so the shards run side by side.
conformanceShard(0, 3);
