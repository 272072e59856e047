import { ConfigError } from "../../errors.ts";
import type { RuntimeIo } from "../../internal/runtime-io.ts";
import type { EnvReader } from "./context.ts";
import { readSharedFilesSync, selectedProfile } from "./shared-files.ts";

/**
 * The `region` of the selected profile (`AWS_PROFILE`, else `default`) in the shared files, read
 * synchronously because a client fixes its region in its constructor. No file access (workerd) or
 * no such setting: `undefined`. A Deno permission denial is a ConfigError on `region` naming the flag.
 */
export function profileRegion(env: EnvReader, io: RuntimeIo | undefined): string | undefined {
  if (io === undefined) return undefined;
  try {
    const files = readSharedFilesSync(env, io);
    return files.profiles.get(selectedProfile(env).name)?.get("region");
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new ConfigError("region", `no region given (option, AWS_REGION, AWS_DEFAULT_REGION) and the profile's region cannot be read: ${error.message}`);
    }
    throw error;
  }
}
