/** Loads the configuration or prints every problem and exits 1. */
import { ConfigError, loadConfig, type Config } from '../config.ts';

export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(1);
    }
    throw e;
  }
}
