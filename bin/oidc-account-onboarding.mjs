#!/usr/bin/env node
// Entry point of the CLI declared in package.json "bin": runs bin/cli.ts through tsx (a dependency of the project).
import { register } from 'tsx/esm/api';

register();
await import('./cli.ts');
