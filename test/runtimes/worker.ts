/**
 * workerd entry, bundled into one ES module and run by Miniflare. workerd has no process environment,
 * so the request body carries credentials and endpoints; and no I/O may happen at import time, so
 * everything starts inside `fetch`. `POST /` runs smoke.ts, `POST /pipeline` runs pipeline.ts (its
 * timers run inside this one request, which workerd keeps alive while it awaits them).
 */
import { type PipelineInput, runPipeline } from "./pipeline.ts";
import { describeError, runSmoke, type SmokeInput } from "./smoke.ts";

export default {
  async fetch(request: Request): Promise<Response> {
    try {
      if (new URL(request.url).pathname === "/pipeline") {
        return Response.json(await runPipeline((await request.json()) as PipelineInput));
      }
      const input = (await request.json()) as SmokeInput;
      return Response.json(await runSmoke(input));
    } catch (error) {
      return new Response(describeError(error), { status: 500 });
    }
  },
};
