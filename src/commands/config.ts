// `irnn config [OVERRIDES...]`: print the composed, resolved config as YAML; trains nothing.
import { Args } from '@oclif/core';
import { stringify } from 'yaml';
import { composeConfig, configHash } from '../config/index.js';
import { BaseCommand } from './base.js';

export default class ConfigCmd extends BaseCommand {
  static override description = 'Print the composed, resolved config (YAML) without training';
  static override strict = false;
  static override args = {
    overrides: Args.string({ description: 'config overrides (Hydra grammar): group=option, +group@pkg=option, key=value, key={a: 1}, +key=value, ++key=value, ~key', required: false }),
  };
  static override examples = ['<%= config.bin %> config model=lstm model.hidden=128'];

  async run(): Promise<Record<string, unknown>> {
    const { argv } = await this.parse(ConfigCmd);
    const r = composeConfig({ overrides: argv as string[] });
    this.log(`# choices: ${Object.entries(r.choices).map(([g, o]) => `${g}=${o}`).join(' ')}  hash: ${configHash(r.config)}`);
    this.log(stringify(r.config).trimEnd());
    if (r.sweep !== null) this.log(stringify({ sweep: r.sweep }).trimEnd().replace(/^/gm, '# '));
    return { config: r.config, choices: r.choices, hash: configHash(r.config), sweep: r.sweep };
  }
}
