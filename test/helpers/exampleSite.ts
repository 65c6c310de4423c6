import { exampleSite as exampleSiteInput } from '../../src/config/exampleSite.js';
import { configSchema } from '../../src/config/schema.js';
import type { SiteConfig } from '../../src/config/siteSchema.js';

/** The example clinic shipped in systemd/config.example.yaml, validated like any site. */
export function exampleSite(): SiteConfig {
  return configSchema.parse({ site: exampleSiteInput() }).site;
}
