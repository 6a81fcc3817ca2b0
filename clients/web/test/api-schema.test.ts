// @vitest-environment node
// The API client is generated from the node's OpenAPI document (house style §18): this fails
// when src/api/schema.d.ts no longer matches what the node's code publishes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generatedSchema } from '../scripts/generate-api.mjs';

describe('src/api/schema.d.ts', () => {
  it('matches the OpenAPI document of the node in this repository', async () => {
    const committed = readFileSync(new URL('../src/api/schema.d.ts', import.meta.url), 'utf8');
    const fresh = await generatedSchema();
    expect(committed === fresh, 'stale: run `npm run generate-api`').toBe(true);
  });
});
