/**
 * The one element builder of the panel's views: user text (names, aliases,
 * params, errors) goes in as `textContent`, never as HTML.
 */

/** A `<tag class="className">text</tag>` (no class attribute when className is empty). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/** A column of `headedTable`: its label, and a class or tooltip for its `th`. */
export interface IColumn {
  label: string;
  className?: string;
  title?: string;
}

/**
 * A `<table>` named `label` for screen readers, with a head row of
 * `<th scope="col">` (one a column) and an empty body: `table.tBodies[0]`.
 */
export function headedTable(
  className: string,
  label: string,
  columns: (string | IColumn)[]
): HTMLTableElement {
  const table = el('table', className);
  table.setAttribute('aria-label', label);
  const head = el('tr');
  for (const column of columns) {
    const col: IColumn = typeof column === 'string' ? { label: column } : column;
    const th = el('th', col.className, col.label);
    th.scope = 'col';
    if (col.title !== undefined) {
      th.title = col.title;
    }
    head.appendChild(th);
  }
  table.createTHead().appendChild(head);
  table.createTBody();
  return table;
}
