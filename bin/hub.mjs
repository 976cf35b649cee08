#!/usr/bin/env node
// The `hub` command. TypeScript sources run through tsx's loader, so there is no build step
// and no stale output: what is in the tree is what runs.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
