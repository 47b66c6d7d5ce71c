import { hostname, userInfo } from 'node:os';
import type { ActorT } from './schema.js';

/** Who is acting: the sudo user when there is one, the host, and the SSH client address. */
export function currentActor(env: NodeJS.ProcessEnv = process.env): ActorT {
  let fallback = 'unknown';
  try {
    fallback = userInfo().username;
  } catch {
    // no passwd entry: keep 'unknown'
  }
  const ssh = (env.SSH_CONNECTION ?? env.SSH_CLIENT ?? '').trim().split(/\s+/);
  return {
    user: env.SUDO_USER || env.USER || fallback,
    host: hostname(),
    from: ssh[0] ? ssh[0] : null,
  };
}
