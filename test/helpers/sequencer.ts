import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// The order the two workers take test files in: longest first, so neither is left with a long file
// while the other idles at the end. vitest's own order uses the durations of the last run on this
// machine (node_modules/.vite); a clean clone (CI) has none, and vitest then runs the largest files
// first, which put the three flows-corpus files (7 lines each, 1-2 minutes each) last.
//
// Seconds per file in a full run on 2 cores (a full run's per-file figures, scaled by single-file timings
// of later changes, all under load): only the order matters, not the figures. Files missing here:
// integration and e2e files count as DEFAULT_S, unit files 0. A new file over ~30 s belongs here.
const SECONDS: Record<string, number> = {
  'test/integration/iptables-corpus.test.ts': 100,
  'test/integration/probes-corpus.test.ts': 90,
  'test/integration/iptables.test.ts': 90,
  'test/integration/conformance-1.test.ts': 90,
  'test/integration/conformance-3.test.ts': 90,
  'test/integration/guards.test.ts': 90,
  'test/integration/firewalld-window.test.ts': 88,
  'test/integration/gate.test.ts': 80,
  'test/integration/flows-corpus-a.test.ts': 75,
  'test/integration/flows-corpus-b.test.ts': 70,
  'test/integration/flows-corpus-c.test.ts': 70,
  'test/integration/apply.test.ts': 65,
  'test/integration/watchdog.test.ts': 60,
  'test/integration/firewalld-apply.test.ts': 57,
  'test/integration/iptables-docker.test.ts': 50,
  'test/integration/flows-iptables.test.ts': 50,
  'test/integration/plan.test.ts': 49,
  'test/integration/lab.test.ts': 45,
  'test/integration/flows.test.ts': 45,
  'test/integration/root-safe.test.ts': 40,
  'test/integration/firewalld-plan.test.ts': 40,
  'test/integration/conformance-2.test.ts': 40,
  'test/integration/iptables-review.test.ts': 35,
  'test/integration/inverse-rollback.test.ts': 45,
  'test/integration/outcomes.test.ts': 40,
  'test/integration/review-pipeline.test.ts': 26,
};
const DEFAULT_S = 20;

export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const estimate = (f: TestSpecification): number => {
      const path = relative(root, f.moduleId);
      const cached = this.ctx.cache.getFileTestResults(`${f.project.name}:${path}`);
      if (cached) return cached.duration / 1000;
      return SECONDS[path] ?? (/^test\/(integration|e2e)\//.test(path) ? DEFAULT_S : 0);
    };
    const sized = await super.sort(files);
    const est = new Map(sized.map((f) => [f, estimate(f)]));
    // A stable sort: equal estimates keep vitest's order (largest file first).
    return sized.sort((a, b) => est.get(b)! - est.get(a)!);
  }
}
