import { describe, expect, it } from 'vitest';
import { hasSlowFullListing, joinJsonListings } from '../../../src/backends/nft.js';

describe('nft listings table by table', () => {
  it('knows which nft versions list the whole ruleset in O(tables × rules)', () => {
    expect(hasSlowFullListing([1, 0, 6])).toBe(true);
    expect(hasSlowFullListing([1, 0, 2])).toBe(true);
    expect(hasSlowFullListing([1, 1, 0])).toBe(true);
    expect(hasSlowFullListing([1, 1, 1])).toBe(false);
    expect(hasSlowFullListing([1, 2, 0])).toBe(false);
    expect(hasSlowFullListing(null)).toBe(false);
  });

  it('joins per-table JSON listings into one document with one metainfo', () => {
    const meta = { metainfo: { version: '1.0.6', release_name: 'x', json_schema_version: 1 } };
    const a = JSON.stringify({
      nftables: [
        meta,
        { table: { family: 'inet', name: 'a', handle: 1 } },
        { chain: { family: 'inet', table: 'a', name: 'c', handle: 1 } },
      ],
    });
    const b = JSON.stringify({ nftables: [meta, { table: { family: 'ip', name: 'b', handle: 2 } }] });
    // One table's listing is already the document: returned as nft printed it.
    expect(joinJsonListings([a])).toBe(a);
    expect(JSON.parse(joinJsonListings([a, b])).nftables).toEqual([
      meta,
      { table: { family: 'inet', name: 'a', handle: 1 } },
      { chain: { family: 'inet', table: 'a', name: 'c', handle: 1 } },
      { table: { family: 'ip', name: 'b', handle: 2 } },
    ]);
  });
});
