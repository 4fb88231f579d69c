import { readFileSync } from 'node:fs';
import type { Node } from 'constructs';
import { type OnboardingConfig, parseConfig } from '../functions/lib/config';
import { ConfigError } from '../functions/lib/errors';

/** CDK context key holding the configuration object (see cdk.json). */
export const CONFIG_CONTEXT_KEY = 'onboarding';
/** CDK context key naming a JSON file that holds the configuration instead: `-c onboardingConfigFile=path`. */
export const CONFIG_FILE_CONTEXT_KEY = 'onboardingConfigFile';

/**
 * Reads and validates the configuration at synth, so a bad value fails `cdk synth` with a ConfigError
 * that names the field. A file given with `-c onboardingConfigFile=path` wins over the `onboarding` context.
 */
export function loadConfig(node: Node): OnboardingConfig {
  const file = node.tryGetContext(CONFIG_FILE_CONTEXT_KEY) as unknown;
  if (file !== undefined) {
    if (typeof file !== 'string' || file === '') {
      throw new ConfigError(`context ${CONFIG_FILE_CONTEXT_KEY} must be the path of a JSON file`);
    }
    return parseConfig(readJson(file, `config file ${file}`), `config file ${file}`);
  }
  const raw = node.tryGetContext(CONFIG_CONTEXT_KEY) as unknown;
  if (raw === undefined) {
    throw new ConfigError(
      `no configuration: set context "${CONFIG_CONTEXT_KEY}" in cdk.json or pass -c ${CONFIG_FILE_CONTEXT_KEY}=path/to/config.json`,
    );
  }
  const source = `context "${CONFIG_CONTEXT_KEY}"`;
  // `-c onboarding='{…}'` on the command line arrives as a string.
  return parseConfig(typeof raw === 'string' ? parseJson(raw, source) : raw, source);
}

function readJson(path: string, source: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${source}: ${(error as Error).message}`);
  }
  return parseJson(text, source);
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError(`${source} is not valid JSON`);
  }
}
