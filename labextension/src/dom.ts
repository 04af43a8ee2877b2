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
