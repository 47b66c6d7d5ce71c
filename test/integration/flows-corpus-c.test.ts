import { corpusFiles, corpusSuite } from '../helpers/flow-corpus.js';

// The flows corpus (issue 16), one of three parallel files: safe changes and exposures.
corpusSuite('flows corpus: safe changes and exposures — prediction agrees with reality', [
  ...corpusFiles('safe-'),
  ...corpusFiles('expose-'),
]);
