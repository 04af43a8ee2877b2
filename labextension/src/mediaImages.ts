/**
 * A grid of a run's images at one step, for the Media view. Every figure is laid
 * out at once at its thumbnail size (so the grid does not jump), but an image's
 * bytes are read only when its figure comes near the view (IntersectionObserver):
 * a step with 1,000 images reads the few dozen in sight. Captions are text.
 */
import { IMediaItem } from './mediaApi';
import { thumbSize } from './mediaShape';

/** Reads an image blob by hash into a URL an <img> can show. */
export type ImageLoader = (hash: string) => Promise<string>;

/** Start reading images this far (CSS px) before they scroll into view. */
const MARGIN = '256px';

export class ImageGrid {
  constructor(items: readonly IMediaItem[], load: ImageLoader) {
    this._load = load;
    this.node = document.createElement('div');
    this.node.className = 'nbtrack-Media-grid';
    if (typeof IntersectionObserver !== 'undefined') {
      this._observer = new IntersectionObserver(entries => this._onSeen(entries), { rootMargin: MARGIN });
    }
    for (const item of items) {
      const figure = document.createElement('figure');
      figure.className = 'nbtrack-Media-figure';
      const img = document.createElement('img');
      img.className = 'nbtrack-Media-image';
      img.alt = item.caption ?? item.name;
      const { width, height } = thumbSize(item);
      // Laid out at its size before its bytes arrive; narrower when the column is.
      img.style.width = `${width}px`;
      img.style.aspectRatio = `${width} / ${height}`;
      img.dataset.hash = item.meta.display ?? item.hash;
      figure.appendChild(img);
      if (item.caption) {
        const caption = document.createElement('figcaption');
        caption.textContent = item.caption;
        figure.appendChild(caption);
      }
      this.node.appendChild(figure);
      if (this._observer) {
        this._observer.observe(img);
      } else {
        void this._show(img);
      }
    }
  }

  readonly node: HTMLDivElement;

  /** Stop reading images (the grid was replaced). */
  dispose(): void {
    this._disposed = true;
    this._observer?.disconnect();
  }

  private _onSeen(entries: IntersectionObserverEntry[]): void {
    for (const entry of entries) {
      if (entry.isIntersecting) {
        this._observer?.unobserve(entry.target);
        void this._show(entry.target as HTMLImageElement);
      }
    }
  }

  private async _show(img: HTMLImageElement): Promise<void> {
    const hash = img.dataset.hash ?? '';
    img.setAttribute('aria-busy', 'true');
    try {
      const url = await this._load(hash);
      if (!this._disposed) {
        img.src = url;
      }
    } catch (error) {
      img.title = `not read: ${String(error)}`;
      img.classList.add('nbtrack-mod-failed');
    } finally {
      img.removeAttribute('aria-busy');
    }
  }

  private _load: ImageLoader;
  private _observer: IntersectionObserver | null = null;
  private _disposed = false;
}
