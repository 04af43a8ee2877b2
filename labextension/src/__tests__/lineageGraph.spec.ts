/**
 * @jest-environment jsdom
 */
import { ILineage } from '../api';
import { fitLabel, layoutLineage, lineageSvg, NODE_W } from '../lineageGraph';

const EVIL = '<img src=x onerror=alert(1)>';

// prep#1 made raw:v1; clean#1 used raw:v1 and made train:v1 (the root);
// fit#1 and fit#2 used train:v1; fit#2 made model:v1; prep#1 also made a
// side output, and raw:v1 fed fit#2 directly (a skip edge).
const LINEAGE: ILineage = {
  root: 'train:v1',
  versions: {},
  runs: {
    'prep#1': { id: 'r1', name: EVIL },
    'clean#1': { id: 'r2', name: 'clean#1' },
    'fit#1': { id: 'r3', name: 'fit' },
    'fit#2': { id: 'r4', name: null }
  },
  edges: [
    ['prep#1', 'raw:v1', 'made'],
    ['raw:v1', 'clean#1', 'used'],
    ['clean#1', 'train:v1', 'made'],
    ['train:v1', 'fit#1', 'used'],
    ['train:v1', 'fit#2', 'used'],
    ['raw:v1', 'fit#2', 'used'],
    ['fit#2', 'model:v1', 'made']
  ],
  upstream: ['raw:v1'],
  downstream: ['model:v1']
};

function byId(layout: ReturnType<typeof layoutLineage>) {
  return Object.fromEntries(layout.nodes.map(n => [n.id, n]));
}

describe('layoutLineage', () => {
  it('puts every node right of all that led to it, the root in its own column', () => {
    const layout = layoutLineage(LINEAGE);
    const at = byId(layout);
    expect(Object.keys(at).sort()).toEqual(
      ['clean#1', 'fit#1', 'fit#2', 'model:v1', 'prep#1', 'raw:v1', 'train:v1'].sort()
    );
    expect(at['prep#1'].layer).toBe(0);
    expect(at['raw:v1'].layer).toBe(1);
    expect(at['clean#1'].layer).toBe(2);
    expect(at['train:v1'].layer).toBe(3);
    // fit#2 used raw:v1 too, but sits after the root (longest path).
    expect(at['fit#2'].layer).toBe(4);
    expect(at['fit#1'].layer).toBe(4);
    expect(at['model:v1'].layer).toBe(5);
    for (const edge of layout.edges) {
      expect(at[edge.from].x + NODE_W).toBeLessThan(at[edge.to].x);
    }
    expect(layout.nodes.filter(n => n.root).map(n => n.id)).toEqual(['train:v1']);
    expect(layout.nodes.filter(n => n.isRun).map(n => n.id).sort()).toEqual(
      ['clean#1', 'fit#1', 'fit#2', 'prep#1']
    );
    // Nodes of one column never overlap; everything fits the canvas.
    const column = layout.nodes.filter(n => n.layer === 4).map(n => n.y).sort((a, b) => a - b);
    expect(column[1] - column[0]).toBeGreaterThan(20);
    for (const n of layout.nodes) {
      expect(n.x + NODE_W).toBeLessThanOrEqual(layout.width);
      expect(n.y).toBeGreaterThanOrEqual(0);
      expect(n.y).toBeLessThan(layout.height);
    }
  });

  it('orders a column by its neighbours so edges do not cross needlessly', () => {
    // a made x and b made y; u used y and v used x: v goes above u, beside x.
    const layout = layoutLineage({
      root: 'r:v1', versions: {},
      runs: { 'a#1': { id: '1', name: null }, 'b#1': { id: '2', name: null },
              'u#1': { id: '3', name: null }, 'v#1': { id: '4', name: null } },
      edges: [['a#1', 'x:v1', 'made'], ['b#1', 'y:v1', 'made'], ['x:v1', 'v#1', 'used'],
              ['y:v1', 'u#1', 'used'], ['v#1', 'r:v1', 'made'], ['u#1', 'r:v1', 'made']],
      upstream: [], downstream: []
    });
    const at = byId(layout);
    expect(at['x:v1'].row).toBe(at['v#1'].row);
    expect(at['y:v1'].row).toBe(at['u#1'].row);
  });

  it('draws a lone version as one node', () => {
    const layout = layoutLineage({ root: 'd:v1', versions: {}, runs: {}, edges: [], upstream: [], downstream: [] });
    expect(layout.nodes.map(n => [n.id, n.layer, n.row, n.root])).toEqual([['d:v1', 0, 0, true]]);
  });

  it('terminates on a run that made and used the same version', () => {
    const layout = layoutLineage({
      root: 'd:v1', versions: {}, runs: { 'a#1': { id: '1', name: null } },
      edges: [['a#1', 'd:v1', 'made'], ['d:v1', 'a#1', 'used']], upstream: [], downstream: []
    });
    expect(layout.nodes.map(n => n.id).sort()).toEqual(['a#1', 'd:v1']);
  });
});

describe('lineageSvg', () => {
  it('draws clickable nodes with text as text, and one arrow per edge', () => {
    const svg = lineageSvg(layoutLineage(LINEAGE));
    expect(svg.getAttribute('aria-hidden')).toBe('true');
    const runs = Array.from(svg.querySelectorAll('[data-run]')).map(n => n.getAttribute('data-run'));
    expect(runs.sort()).toEqual(['clean#1', 'fit#1', 'fit#2', 'prep#1']);
    const versions = Array.from(svg.querySelectorAll('[data-ref]')).map(n => n.getAttribute('data-ref'));
    expect(versions.sort()).toEqual(['model:v1', 'raw:v1', 'train:v1']);
    expect(svg.querySelectorAll('.nbtrack-LineageGraph-edge')).toHaveLength(7);
    expect(svg.querySelectorAll('.nbtrack-LineageGraph-edge.nbtrack-mod-used')).toHaveLength(4);
    expect(svg.querySelector('img')).toBeNull();
    const prep = svg.querySelector('[data-run="prep#1"]');
    expect(prep?.querySelector('title')?.textContent).toContain(EVIL);
    expect(prep?.querySelector('text')?.textContent).toBe(fitLabel(`prep#1 ${EVIL}`));
    expect(svg.querySelector('.nbtrack-mod-root')?.getAttribute('data-ref')).toBe('train:v1');
  });

  it('cuts long labels with an ellipsis', () => {
    expect(fitLabel('short')).toBe('short');
    expect(fitLabel('a-very-long-dataset-name:v12', 10)).toBe('a-very-lo…');
  });
});
