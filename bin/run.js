#!/usr/bin/env node
// Entry point: oclif reads the shipped manifest, so start-up stays fast.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
