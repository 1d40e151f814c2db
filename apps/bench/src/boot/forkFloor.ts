/**
 * The second boot floor: a Node process that forks a Node process, timed to the child's
 * "ready for action" line, with nothing else loaded. `q` has this shape (a supervisor that forks
 * its worker processes, as Dramatiq's does), so no `q` can be ready sooner than this on the
 * machine. Not imported by the harness; `node dist/boot/forkFloor.js` runs it.
 */
import { fork } from "node:child_process";

if (process.send) {
  // The forked child: say ready, as q's worker process does, and stay (the open IPC channel
  // keeps it) until the harness stops the parent, which closes the channel.
  process.stderr.write("Worker process is ready for action.\n");
  process.on("disconnect", () => process.exit(0));
} else {
  fork(__filename, [], { stdio: "inherit" });
}
