#!/usr/bin/env node
// The `irnn` command. Sources are TypeScript, loaded through tsx, so there is no build step.
import { register } from 'tsx/esm/api';
import { execute } from '@oclif/core';

register();
await execute({ dir: import.meta.url });
