import type { RuntimeIo } from "../../internal/runtime-io.ts";
import type { EnvReader } from "./context.ts";
import { type IniSections, parseIni } from "./ini.ts";

/** One profile's settings, keys lower-cased (`aws_access_key_id`, `role_arn`, `region`, ...). */
export type Profile = ReadonlyMap<string, string>;

export interface SharedFiles {
  /** Profiles by name: the config file's `[profile x]` / `[default]` merged with the credentials file's `[x]`. */
  profiles: ReadonlyMap<string, Profile>;
  /** The two paths, for error messages (paths are not secrets). */
  credentialsPath: string | undefined;
  configPath: string | undefined;
}

/** The profile the chain uses: `AWS_PROFILE`, else `default`. */
export function selectedProfile(env: EnvReader): { name: string; explicit: boolean } {
  const name = env("AWS_PROFILE")?.trim();
  return name === undefined || name === "" ? { name: "default", explicit: false } : { name, explicit: true };
}

/** The user's home, as the SDKs find it: HOME, USERPROFILE, HOMEDRIVE+HOMEPATH, then the runtime. */
export function homeDirectory(env: EnvReader, io: RuntimeIo | undefined): string | undefined {
  const home = env("HOME") ?? env("USERPROFILE");
  if (home !== undefined) return home;
  const homePath = env("HOMEPATH");
  if (homePath !== undefined) return `${env("HOMEDRIVE") ?? "C:"}${homePath}`;
  return io?.homeDirectory();
}

/** `AWS_SHARED_CREDENTIALS_FILE` / `AWS_CONFIG_FILE` (a leading `~/` is the home), else `~/.aws/credentials` / `~/.aws/config`. */
export function sharedFilePaths(env: EnvReader, io: RuntimeIo | undefined): { credentialsPath: string | undefined; configPath: string | undefined } {
  let home: string | undefined;
  let homeLooked = false;
  const lazyHome = (): string | undefined => {
    if (!homeLooked) {
      home = homeDirectory(env, io);
      homeLooked = true;
    }
    return home;
  };
  const resolve = (variable: string, fallback: string): string | undefined => {
    const given = env(variable);
    if (given !== undefined) {
      if (!given.startsWith("~/") && !given.startsWith("~\\")) return given;
      const base = lazyHome();
      return base === undefined ? undefined : `${base}${given.slice(1)}`;
    }
    const base = lazyHome();
    return base === undefined ? undefined : `${base}/.aws/${fallback}`;
  };
  return { credentialsPath: resolve("AWS_SHARED_CREDENTIALS_FILE", "credentials"), configPath: resolve("AWS_CONFIG_FILE", "config") };
}

/** Read and merge both files; a missing file is an empty one. */
export async function readSharedFiles(env: EnvReader, io: RuntimeIo): Promise<SharedFiles> {
  const { credentialsPath, configPath } = sharedFilePaths(env, io);
  const [credentialsText, configText] = await Promise.all([
    credentialsPath === undefined ? undefined : io.readTextFile(credentialsPath),
    configPath === undefined ? undefined : io.readTextFile(configPath),
  ]);
  return { profiles: mergeProfiles(configText, credentialsText, "credentials"), credentialsPath, configPath };
}

/** As `readSharedFiles`, blocking, for the region a client needs in its constructor (the SDKs prefer the config file there). */
export function readSharedFilesSync(env: EnvReader, io: RuntimeIo): SharedFiles {
  const { credentialsPath, configPath } = sharedFilePaths(env, io);
  const configText = configPath === undefined ? undefined : io.readTextFileSync(configPath);
  const credentialsText = credentialsPath === undefined ? undefined : io.readTextFileSync(credentialsPath);
  return { profiles: mergeProfiles(configText, credentialsText, "config"), credentialsPath, configPath };
}

/**
 * The config file names profiles `[profile x]` (and `[default]`); the credentials file names them `[x]`.
 * Keys present in both come from `preferred`: the credentials file for credentials, the config file for settings.
 */
function mergeProfiles(configText: string | undefined, credentialsText: string | undefined, preferred: "config" | "credentials"): Map<string, Profile> {
  const fromConfig = configProfiles(configText === undefined ? new Map() : parseIni(configText));
  const fromCredentials = credentialsText === undefined ? new Map<string, Map<string, string>>() : parseIni(credentialsText);
  const [low, high] = preferred === "credentials" ? [fromConfig, fromCredentials] : [fromCredentials, fromConfig];
  const merged = new Map<string, Profile>();
  for (const name of new Set([...low.keys(), ...high.keys()])) {
    merged.set(name, new Map([...(low.get(name) ?? []), ...(high.get(name) ?? [])]));
  }
  return merged;
}

function configProfiles(sections: IniSections): Map<string, Map<string, string>> {
  const profiles = new Map<string, Map<string, string>>();
  // `[profile default]` and `[default]` are the same profile; the explicit `profile` form wins.
  const plainDefault = sections.get("default");
  if (plainDefault !== undefined) profiles.set("default", plainDefault);
  for (const [section, values] of sections) {
    const match = /^profile\s+(.+)$/.exec(section);
    if (match !== null) profiles.set(match[1]!.trim(), new Map([...(profiles.get(match[1]!.trim()) ?? []), ...values]));
  }
  return profiles;
}
