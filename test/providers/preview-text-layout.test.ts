import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { layoutText, normalizeText, textWidth } from '../../src/providers/preview/text-layout.ts';

describe('layoutText', () => {
  it('wraps at word boundaries within the column limit', () => {
    expect(layoutText('the quick brown fox jumps over the lazy dog', { maxColumns: 15, maxLines: 5 })).toEqual([
      'the quick brown',
      'fox jumps over',
      'the lazy dog',
    ]);
  });

  it('turns newlines, tabs and runs of spaces into single spaces', () => {
    expect(layoutText('  a\n\nb\t c\r\n', { maxColumns: 20, maxLines: 3 })).toEqual(['a b c']);
  });

  it('ends the last line with an ellipsis when the text does not fit', () => {
    const lines = layoutText('one two three four five six seven eight', { maxColumns: 9, maxLines: 2 });
    expect(lines).toEqual(['one two', 'three…']);
  });

  it('cuts CJK text, which has no spaces, counting each character as two columns', () => {
    expect(layoutText('日本語のテキスト', { maxColumns: 6, maxLines: 4 })).toEqual(['日本語', 'のテキ', 'スト']);
  });

  it('never splits an emoji sequence or a letter from its accent', () => {
    const family = '👨‍👩‍👧‍👦';
    const lines = layoutText(`${family.repeat(3)} e\u0301e\u0301e\u0301`, { maxColumns: 4, maxLines: 10 });
    expect(lines).toEqual([family.repeat(2), family, 'e\u0301e\u0301e\u0301']);
  });

  it('gives no lines for blank text', () => {
    expect(layoutText(' \n\t ', { maxColumns: 10, maxLines: 2 })).toEqual([]);
  });

  it('never exceeds its limits, keeps every word when the text fits, and never throws', () => {
    const text = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.array(fc.constantFrom('word', 'W', '日本', '🐱‍👤', ' ', '\n', '\t', '"', '%', '\\', ':', "'", 'e\u0301', '\u0000', '\uD800'), { maxLength: 200 }).map((parts) => parts.join('')),
    );
    const limits = fc.record({ maxColumns: fc.integer({ min: 3, max: 80 }), maxLines: fc.integer({ min: 1, max: 12 }) });
    fc.assert(
      fc.property(text, limits, (input, lim) => {
        const lines = layoutText(input, lim);
        expect(lines.length).toBeLessThanOrEqual(lim.maxLines);
        for (const line of lines) {
          expect(textWidth(line)).toBeLessThanOrEqual(lim.maxColumns);
          expect(line).not.toMatch(/\p{Cc}|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/u);
          expect(line).toBe(line.trim());
        }
        const unlimited = layoutText(input, { maxColumns: lim.maxColumns, maxLines: Number.MAX_SAFE_INTEGER });
        if (unlimited.length <= lim.maxLines) {
          expect(lines).toEqual(unlimited);
          expect(lines.join('').replaceAll(' ', '')).toBe(normalizeText(input).replaceAll(' ', ''));
        } else {
          expect(lines.at(-1)?.endsWith('…')).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
