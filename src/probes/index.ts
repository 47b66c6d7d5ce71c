/** Kernel-accurate lockout probes: real packets through the proposed ruleset, traced. */
export { runProbes, type ProbeResult, type ProbeOptions } from './run-probes.js';
export { probeFindings } from './findings.js';
export { parseProbeSpec, type ProbeSpecT } from './spec.js';
export { interfaceOf } from './host-info.js';
