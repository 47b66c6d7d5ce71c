import { conformanceShard } from '../helpers/conformance.js';

// The conformance corpus (test/fixtures/conformance), shard 3 of 3: split so the shards run side by side.
conformanceShard(2, 3);
