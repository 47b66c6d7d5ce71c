// A guard: a detached process of its own session that rolls the pending change back at the deadline.
// Two run for every change and re-arm each other. Usage: node main.js STATE_DIR CHANGE_ID [SLOT]
// (started by src/watchdog/arm.ts or by the other guard, never by hand)
import { runWatchdog } from './loop.js';

// Hang-ups and Ctrl-C of the terminal that started us must not stop the deadline.
for (const signal of ['SIGHUP', 'SIGINT', 'SIGPIPE'] as const) process.on(signal, () => undefined);

const [stateDir, changeId, slotArg = '1'] = process.argv.slice(2);
if (!stateDir || !changeId || (slotArg !== '1' && slotArg !== '2')) {
  process.exitCode = 2;
} else {
  runWatchdog(stateDir, changeId, slotArg === '1' ? 1 : 2).then(
    (code) => {
      process.exitCode = code;
    },
    () => {
      process.exitCode = 1;
    },
  );
}
