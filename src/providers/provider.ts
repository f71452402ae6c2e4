/**
 * Upstream adapters behind one interface. A provider knows an upstream's wire format and the
 * domain, nothing about clients. Issue 2 has the local `preview` renderer; remote upstreams
 * (Kling, resellers) add a `remote` variant with submit/check in a later issue.
 */
import type { VideoRequest } from '../domain/video-request.ts';

export type RenderContext = {
  /** Aborted when the worker loses its lease or the server shuts down. */
  signal: AbortSignal;
  /** 0-100, called as the render advances (the caller throttles its writes). */
  onProgress(percent: number): void;
  /** A private folder for this attempt; the caller deletes it afterwards. */
  workDir: string;
};

/** One finished video as files on local disk, before Reelay stores them. */
export type RenderedVideo = {
  path: string;
  /** The watermarked copy, present exactly when the request asked for one. */
  watermarkPath?: string | undefined;
};

/** A provider that makes the video itself, on this machine. */
export type LocalProvider = {
  kind: 'local';
  name: string;
  render(request: VideoRequest, ctx: RenderContext): Promise<RenderedVideo[]>;
};

export type Provider = LocalProvider;
