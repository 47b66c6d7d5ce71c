import { z } from 'zod';
import { UserError } from '../errors.js';

/** A declared flow that must be allowed (or denied): `tcp/443`, `tcp/5432 from 10.0.0.0/8`, `udp/53 to 192.0.2.1`. */
/** The transport protocols a flow is probed with. */
export const ProbeProto = z.enum(['tcp', 'udp']);

export const ProbeSpec = z.strictObject({
  proto: ProbeProto,
  port: z.number().int().min(1).max(65535),
  from: z.string().nullable(),
  to: z.string().nullable(),
  text: z.string(),
});
export type ProbeSpecT = z.infer<typeof ProbeSpec>;

const SPEC = /^(tcp|udp)\/(\d{1,5})(?:\s+from\s+(\S+))?(?:\s+to\s+(\S+))?$/;

export function parseProbeSpec(text: string): ProbeSpecT {
  const m = SPEC.exec(text.trim());
  if (!m) {
    throw new UserError(
      `Cannot read the probe "${text}": write PROTO/PORT [from ADDR[/LEN]] [to ADDR], e.g. "tcp/443" or "tcp/5432 from 10.0.0.0/8".`,
      { code: 'BAD_PROBE_SPEC' },
    );
  }
  const parsed = ProbeSpec.safeParse({
    proto: m[1],
    port: Number(m[2]),
    from: m[3] ?? null,
    to: m[4] ?? null,
    text: text.trim(),
  });
  if (!parsed.success)
    throw new UserError(`The probe "${text}" has a port outside 1–65535.`, { code: 'BAD_PROBE_SPEC' });
  return parsed.data;
}

/** A representative single address of `from` (a prefix's first host), or the default client. */
export function representative(addr: string | null, fallback: string): string {
  if (!addr) return fallback;
  const [base, len] = addr.split('/');
  if (!len || base!.includes(':')) return base!;
  const parts = base!.split('.').map(Number);
  if (Number(len) < 32) parts[3] = (parts[3] ?? 0) + 1;
  return parts.join('.');
}
