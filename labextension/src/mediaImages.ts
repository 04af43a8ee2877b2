/**
 * A grid of a run's images at one step, for the Media view. Every figure is laid
 * out at once at its thumbnail size (so the grid does not jump), but an image's
 * bytes are read only when its figure comes near the view (IntersectionObserver),
 * the images coming into view together in one request: a step with 1,000 images
 * reads the few dozen in sight. Captions are text.
 */
import { IMediaItem } from './mediaApi';
import { thumbSize } from './mediaShape';

/** Reads image blobs by hash into URLs an <img> can show (absent: not read). */
export type ImageLoader = (hashes: readonly string[]) => Promise<Map<string, string>>;

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
    const all: HTMLImageElement[] = [];
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
        all.push(img);
      }
    }
    if (all.length) {
      void this._show(all);
    }
  }

  readonly node: HTMLDivElement;

  /** Stop reading images (the grid was replaced). */
  dispose(): void {
    this._disposed = true;
    this._observer?.disconnect();
  }

  private _onSeen(entries: IntersectionObserverEntry[]): void {
    const seen: HTMLImageElement[] = [];
    for (const entry of entries) {
      if (entry.isIntersecting) {
        this._observer?.unobserve(entry.target);
        seen.push(entry.target as HTMLImageElement);
      }
    }
    if (seen.length) {
      void this._show(seen);
    }
  }

  private async _show(imgs: HTMLImageElement[]): Promise<void> {
    imgs.forEach(img => img.setAttribute('aria-busy', 'true'));
    try {
      const urls = await this._load(imgs.map(img => img.dataset.hash ?? ''));
      for (const img of imgs) {
        const url = urls.get(img.dataset.hash ?? '');
        if (url && !this._disposed) {
          img.src = url;
        } else if (!url) {
          this._failed(img, 'the server did not send it');
        }
      }
    } catch (error) {
      imgs.forEach(img => this._failed(img, String(error)));
    } finally {
      imgs.forEach(img => img.removeAttribute('aria-busy'));
    }
  }

  private _failed(img: HTMLImageElement, why: string): void {
    img.title = `image not read: ${why}`;
    img.classList.add('nbtrack-mod-failed');
  }

  private _load: ImageLoader;
  private _observer: IntersectionObserver | null = null;
  private _disposed = false;
}
