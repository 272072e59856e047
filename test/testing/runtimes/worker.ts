/** workerd entry (bundled, run by Miniflare): the scenario runs inside one request, as workerd forbids I/O at import time. */
import { runFakeScenario } from "./scenario.ts";

export default {
  async fetch(): Promise<Response> {
    try {
      return Response.json(await runFakeScenario());
    } catch (error) {
      return new Response(error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ""}` : String(error), { status: 500 });
    }
  },
};
