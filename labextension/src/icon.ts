/** The Runs panel's sidebar icon (theme-aware through `jp-icon3`). */
import { LabIcon } from '@jupyterlab/ui-components';

const svgstr = `<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M3 3h2v16h16v2H3z"/>
    <path d="M7.4 15.6 6 14.2l4.6-4.6 3 3 5-5.6 1.5 1.3-6.4 7.2-3.1-3.1z"/>
  </g>
</svg>`;

export const runsIcon = new LabIcon({ name: 'nbtrack:runs', svgstr });

/** "Diff two runs": two columns with a plus and a minus (theme-aware). */
const diffSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M3 3h8v18H3zm2 2v14h4V5z"/>
    <path d="M13 3h8v18h-8zm2 2v14h4V5z"/>
    <path d="M6 11.2h2v1.6H6z"/>
    <path d="M16.2 9.2h1.6v2h2v1.6h-2v2h-1.6v-2h-2v-1.6h2z"/>
  </g>
</svg>`;

export const diffIcon = new LabIcon({ name: 'nbtrack:diff', svgstr: diffSvg });
