import { describe, expect, it } from 'vitest';
import { checkElements, type VideoElement } from '../../src/domain/elements.ts';

const subject = (name: string, images = 2): VideoElement => ({ kind: 'subject', name, description: '', imageUrls: Array.from({ length: images }, (_, i) => `https://example.com/${i}.png`) });

describe('element rules', () => {
  it('accepts up to three subjects mentioned by @name', () => {
    expect(checkElements([subject('cat'), subject('dog', 4), { kind: 'saved', elementId: '123' }], ['@cat chases @dog'], 0)).toBeNull();
  });
  it('refuses a fourth element', () => {
    expect(checkElements([subject('a'), subject('b'), subject('c'), subject('d')], [''], 0)).toEqual({ field: 'elements', rule: 'must hold at most 3 elements' });
  });
  it('refuses elements together with voices', () => {
    expect(checkElements([subject('a')], [''], 1)?.rule).toBe('cannot be combined with voices');
  });
  it('needs 2-4 reference images per subject', () => {
    expect(checkElements([subject('a', 1)], [''], 0)).toEqual({ field: 'elements[0].imageUrls', rule: 'must hold between 2 and 4 images' });
    expect(checkElements([subject('a', 5)], [''], 0)?.field).toBe('elements[0].imageUrls');
  });
  it('refuses a mention of a subject that does not exist, and duplicate names', () => {
    expect(checkElements([subject('cat')], ['@cat meets @fox'], 0)).toEqual({ field: 'prompt', rule: 'mentions @fox but no element has that name' });
    expect(checkElements([subject('cat'), subject('cat')], [''], 0)?.rule).toMatch(/unique/);
  });
  it('leaves @ alone when there are no subjects', () => {
    expect(checkElements([], ['email me @ home @someone'], 0)).toBeNull();
  });
  it('refuses a saved element id that is not numeric', () => {
    expect(checkElements([{ kind: 'saved', elementId: 'abc' }], [''], 0)?.field).toBe('elements[0].elementId');
  });
});
