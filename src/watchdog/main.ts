// The watchdog: a detached process of its own session that rolls the pending change back at the deadline.
// Usage: node main.js STATE_DIR CHANGE_ID   (started by src/watchdog/arm.ts, never by hand)
import { runWatchdog } from './loop.js';

// Hang-ups and Ctrl-C of the terminal that started us must not stop the deadline.
for (const signal of ['SIGHUP', 'SIGINT', 'SIGPIPE'] as const) process.on(signal, () => undefined);

const [stateDir, changeId] = process.argv.slice(2);
if (!stateDir || !changeId) {
  process.exitCode = 2;
} else {
  runWatchdog(stateDir, changeId).then(
    (code) => {
      process.exitCode = code;
    },
    () => {
      process.exitCode = 1;
    },
  );
}
