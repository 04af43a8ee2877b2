/**
 * The media endpoints of the REST API (nbtrack/server/media_handlers.py): a
 * run's media paged, a table's rows paged, a histogram over its steps, a blob
 * by hash. Every call goes through `NbtrackApi.response` (token, XSRF header,
 * errors as an `ApiError` in the server's words).
 */

import { encodeRef, NbtrackApi } from './api';

export type MediaKind =
  | 'image'
  | 'figure'
  | 'table'
  | 'confusion_matrix'
  | 'histogram'
  | 'text';

export interface IMediaItem {
  name: string;
  kind: MediaKind;
  step: number;
  index: number;
  caption: string | null;
  hash: string;
  mime: string;
  size: number;
  time: number;
  meta: {
    width?: number;
    height?: number;
    display?: string;
    svg?: string;
    png?: string;
    title?: string | null;
    rows?: number;
    labels?: string[];
    matrix?: number[][] | null;
    preview?: string;
    count?: number;
    min?: number | null;
    max?: number | null;
    mean?: number | null;
  };
}

export interface IMediaName {
  name: string;
  kind: MediaKind;
  count: number;
  last_step: number | null;
}

export interface IMediaPage {
  media: IMediaItem[];
  total: number;
  offset: number;
  limit: number;
  names: IMediaName[];
}

export interface ITablePage {
  name: string;
  step: number;
  kind: string;
  columns: { name: string; dtype: string }[];
  rows: unknown[][];
  total: number;
  offset: number;
  limit: number;
}

export async function runMedia(
  api: NbtrackApi,
  ref: string,
  query: { name?: string; step?: number; offset?: number; limit?: number } = {}
): Promise<IMediaPage> {
  const response = await api.response(api.url(`runs/${encodeRef(ref)}/media`, query));
  return (await response.json()) as IMediaPage;
}

export async function runTable(
  api: NbtrackApi,
  ref: string,
  name: string,
  limit = 20
): Promise<ITablePage> {
  const response = await api.response(api.url(`runs/${encodeRef(ref)}/table`, { name, limit }));
  return (await response.json()) as ITablePage;
}

export interface IHistogramStep {
  step: number;
  edges: number[];
  counts: number[];
  count: number;
  nonfinite: number;
  min: number | null;
  max: number | null;
  mean: number | null;
}

export interface IHistogramSteps {
  name: string;
  steps: IHistogramStep[];
  total: number;
}

/** A histogram's bins at each step it was logged at (at most 200 steps, spaced). */
export async function runHistograms(
  api: NbtrackApi,
  ref: string,
  name: string
): Promise<IHistogramSteps> {
  const response = await api.response(api.url(`runs/${encodeRef(ref)}/histograms`, { name }));
  return (await response.json()) as IHistogramSteps;
}

/** A data: URL of a media image blob (fetched with the token, like every call). */
export async function blobUrl(api: NbtrackApi, hash: string): Promise<string> {
  const response = await api.response(api.url(`media/${hash}`));
  const type = (response.headers.get('Content-Type') ?? 'image/png').split(';')[0];
  const bytes = new Uint8Array(await response.arrayBuffer());
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return `data:${type};base64,${btoa(text)}`;
}

/** At most this many images are asked for in one request (the server's limit). */
export const IMAGES_PER_REQUEST = 100;

/**
 * data: URLs of many image blobs, read in one request per IMAGES_PER_REQUEST
 * (a grid of thumbnails, not one request each); hashes not served are absent.
 */
export async function imageUrls(api: NbtrackApi, hashes: readonly string[]): Promise<Map<string, string>> {
  const urls = new Map<string, string>();
  for (let i = 0; i < hashes.length; i += IMAGES_PER_REQUEST) {
    const chunk = hashes.slice(i, i + IMAGES_PER_REQUEST);
    const response = await api.response(api.url('media/images', { hashes: chunk.join(',') }));
    const body = (await response.json()) as { images: { hash: string; mime: string; data: string }[] };
    for (const image of body.images) {
      urls.set(image.hash, `data:${image.mime};base64,${image.data}`);
    }
  }
  return urls;
}

/** What the Media view reads, as one object (tests answer it from memory). */
export interface IMediaSource {
  runMedia(ref: string, query?: { name?: string; step?: number; offset?: number; limit?: number }): Promise<IMediaPage>;
  runTable(ref: string, name: string): Promise<ITablePage>;
  runHistograms(ref: string, name: string): Promise<IHistogramSteps>;
  blobUrl(hash: string): Promise<string>;
  imageUrls(hashes: readonly string[]): Promise<Map<string, string>>;
}

/** The Media view's reads from the server extension. */
export function mediaSource(api: NbtrackApi): IMediaSource {
  return {
    runMedia: (ref, query) => runMedia(api, ref, query),
    runTable: (ref, name) => runTable(api, ref, name),
    runHistograms: (ref, name) => runHistograms(api, ref, name),
    blobUrl: hash => blobUrl(api, hash),
    imageUrls: hashes => imageUrls(api, hashes)
  };
}
