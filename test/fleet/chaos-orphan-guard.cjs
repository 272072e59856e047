// Preloaded (`node --require`) into every chaos worker process: the parent holds this process's
// stdin pipe, and a pipe reads EOF once its writer is gone, however the parent died (even by SIGKILL,
// when no exit hook of its runs). So a worker never outlives the run that started it.
"use strict";
process.stdin.once("end", () => process.kill(process.pid, "SIGKILL"));
process.stdin.once("error", () => process.kill(process.pid, "SIGKILL"));
process.stdin.resume();
