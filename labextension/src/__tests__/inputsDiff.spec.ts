import { inputRows, inputsNote } from '../inputsDiff';

describe('inputRows', () => {
  it('lists changed, added and removed input versions, one row per artifact', () => {
    const inputs = {
      changed: { 'digits-train': { old: 'digits-train:v1', new: 'digits-train:v2' } },
      added: { cfg: 'cfg:v3' },
      removed: { '<b>': '<b>:v1' },
      same: { labels: 'labels:v1' }
    };
    expect(inputRows(inputs).map(r => [...r.cells, r.className])).toEqual([
      ['digits-train', 'digits-train:v1', 'digits-train:v2', 'nbtrack-mod-changed'],
      ['cfg', '', 'cfg:v3', 'nbtrack-mod-added'],
      ['<b>', '<b>:v1', '', 'nbtrack-mod-removed']
    ]);
    expect(inputsNote(inputs)).toBe('Same 1 input version.');
  });

  it('says nothing of runs without inputs, and an older server sends none', () => {
    const none = { changed: {}, added: {}, removed: {}, same: {} };
    expect(inputRows(none)).toEqual([]);
    expect(inputsNote(none)).toBeNull();
    expect(inputRows(undefined)).toEqual([]);
    expect(inputsNote(null)).toBeNull();
    expect(inputsNote({ ...none, same: { a: 'a:v1', b: 'b:v2' } })).toBe('Same 2 input versions.');
  });
});
