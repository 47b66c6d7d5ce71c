import { FwsafeError, ExitCode } from '../errors.js';

export function noPendingChange(): FwsafeError {
  return new FwsafeError('No change is pending.', {
    code: 'NO_PENDING_CHANGE',
    exitCode: ExitCode.notFound,
    actions: ['See what happened with: fwsafe log'],
  });
}

export function busyError(changeId: string): FwsafeError {
  return new FwsafeError(`Change ${changeId} is being resolved by another process right now.`, {
    code: 'CHANGE_BUSY',
    exitCode: ExitCode.pending,
    actions: ['Check the outcome in a moment with: fwsafe status / fwsafe log'],
  });
}
