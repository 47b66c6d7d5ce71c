import { corpusFiles, corpusSuite } from '../helpers/flow-corpus.js';

// The flows corpus (issue 16), one of three parallel files: cuts 1–9 (UDP, ICMP, PMTU, ND, output chain).
corpusSuite(
  'flows corpus: cuts 1–9 (UDP, ICMP, PMTU, ND, output chain) — prediction agrees with reality',
  corpusFiles('cut-0'),
);
