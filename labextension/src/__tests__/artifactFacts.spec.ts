/**
 * @jest-environment jsdom
 */
import { IAliasMove } from '../api';
import { aliasHistorySection, moveText, previewSection, previewTable } from '../artifactFacts';

const EVIL = '<img src=x onerror=alert(1)>';

describe('previewTable', () => {
  it('turns every cell into text and caps the columns with a count of the rest', () => {
    const columns = ['a', 'b', 'c', 'd', 'e', 'f', 'g', EVIL];
    const table = previewTable({ columns, index: [0], data: [[1, 2.5, null, true, 'x', [1], { k: 1 }, EVIL]] });
    expect(table?.columns).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(table?.rows).toEqual([['1', '2.5', '', 'true', 'x', '[1]']]);
    expect(table?.more).toBe(2);
    expect(table?.hidden).toEqual(['g', EVIL]);
    expect(previewTable({ columns: ['a'], data: [] })).toEqual({ columns: ['a'], rows: [], more: 0, hidden: [] });
    expect(previewTable(undefined)).toBeNull();
  });

  it('renders as a table of text, saying how many rows of how many', () => {
    const section = previewSection({ columns: ['x', EVIL], data: [[1, EVIL], [2, 'y']] }, 100);
    expect(section?.querySelector('h4')?.textContent).toBe('Preview (first 2 of 100 rows)');
    const heads = Array.from(section?.querySelectorAll('th') ?? []).map(th => th.textContent);
    expect(heads).toEqual(['x', EVIL]);
    const cells = Array.from(section?.querySelectorAll('td') ?? []).map(td => td.textContent);
    expect(cells).toEqual(['1', EVIL, '2', 'y']);
    expect(section?.querySelector('img')).toBeNull();
    const wide = previewSection({ columns: Array.from({ length: 9 }, (_, i) => `c${i}`), data: [[]] });
    expect(wide?.querySelector('th.nbtrack-DatasetPreview-more')?.textContent).toBe('+3 more');
    expect(wide?.querySelector('th.nbtrack-DatasetPreview-more')?.getAttribute('title')).toBe('c6, c7, c8');
  });
});

describe('aliasHistorySection', () => {
  const moves: IAliasMove[] = [
    { alias: 'best', from_version: null, version: 1, time: 1e9, run: 'train#1', user: 'ana' },
    { alias: EVIL, from_version: null, version: 2, time: 1e9 + 5, run: null, user: null },
    { alias: 'best', from_version: 1, version: 3, time: 1e9 + 9, run: 'train#3', user: 'bo' }
  ];

  it('lists each move newest first: alias, from which version to which, when, by whom', () => {
    const links: string[] = [];
    const section = aliasHistorySection(moves, 1, ref => {
      links.push(ref);
      const b = document.createElement('button');
      b.dataset.run = ref;
      b.textContent = ref;
      return b;
    });
    const rows = Array.from(section.querySelectorAll('tbody tr')).map(tr =>
      Array.from(tr.querySelectorAll('td')).map(td => td.textContent)
    );
    expect(rows.map(r => [r[0], r[1], r[3]])).toEqual([
      ['best', 'v1 → v3', 'train#3 (bo)'],
      [EVIL, '→ v2', 'outside a run'],
      ['best', '→ v1', 'train#1 (ana)']
    ]);
    expect(links).toEqual(['train#3', 'train#1']);
    // The moves touching the version shown are marked.
    const marked = Array.from(section.querySelectorAll('tbody tr')).map(tr => tr.classList.contains('nbtrack-mod-this'));
    expect(marked).toEqual([true, false, true]);
    expect(section.querySelector('img')).toBeNull();
    expect(moveText(moves[2])).toBe('v1 → v3');
  });

  it('says when no alias was ever set', () => {
    const section = aliasHistorySection([], 1, () => document.createElement('button'));
    expect(section.textContent).toContain('no alias was set');
  });
});
