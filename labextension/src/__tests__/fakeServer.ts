/**
 * The network edge for tests: a fetch that answers like nbtrack's REST API
 * from a list of runs held in memory, and records every request.
 */
import { ServerConnection } from '@jupyterlab/services';

import { NbtrackApi } from '../api';

export interface IRecorded {
  method: string;
  url: URL;
  headers: Headers;
  body: string | null;
}

export type Handler = (req: IRecorded) => { status: number; body?: unknown } | undefined;

export class FakeServer {
  constructor(handler?: Handler) {
    this.handler = handler ?? (() => undefined);
  }

  handler: Handler;
  requests: IRecorded[] = [];

  api(baseUrl = 'http://localhost:8888/lab-base/'): NbtrackApi {
    const settings = ServerConnection.makeSettings({
      baseUrl,
      token: 'secret-token',
      appendToken: false,
      fetch: this.fetch as typeof fetch
    });
    return new NbtrackApi(settings);
  }

  fetch = async (input: RequestInfo | URL): Promise<Response> => {
    const request = input as Request;
    const recorded: IRecorded = {
      method: request.method,
      url: new URL(request.url),
      headers: request.headers,
      body: request.body ? await request.text() : null
    };
    this.requests.push(recorded);
    const answer = this.handler(recorded) ?? { status: 404, body: { message: 'no route' } };
    if (answer.status === 204) {
      return new Response(null, { status: 204 });
    }
    return new Response(JSON.stringify(answer.body ?? null), {
      status: answer.status,
      headers: { 'Content-Type': 'application/json' }
    });
  };
}

export function apiPath(req: IRecorded): string {
  const prefix = '/lab-base/nbtrack/api/';
  const path = req.url.pathname;
  return path.startsWith(prefix) ? path.slice(prefix.length) : `!${path}`;
}
