/** Kernel-accurate lockout probes: real packets through the proposed ruleset, traced. */
export { runProbes, type ProbeResult, type ProbeOptions } from './run-probes.js';
export { probeFindings, mergeProbeFindings, probesFailed } from './findings.js';
export { adminMode, checkAdminAddresses, probeAdmins, type ProbeAdmins } from './admins.js';
export { parseProbeSpec, type ProbeSpecT } from './spec.js';
export { interfaceOf, hasGlobalIpv6 } from './host-info.js';
