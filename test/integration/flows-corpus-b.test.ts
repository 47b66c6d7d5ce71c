import { corpusFiles, corpusSuite } from '../helpers/flow-corpus.js';

// The flows corpus (issue 16), one of three parallel files: cuts 10–19 (output, forward, conntrack state, rate limits).
corpusSuite(
  'flows corpus: cuts 10–19 (output, forward, conntrack state, rate limits) — prediction agrees with reality',
  corpusFiles('cut-1'),
);
