/**
 * An in-process probe for ISO-BMFF files (MP4 / MOV), the format of every Kling upstream and of our
 * own preview renders: the same facts as ffprobe (see probe-video.ts) without spawning a process.
 * Reads only the box headers and the `moov` (seeking past an `mdat` that comes first), then checks
 * that every track's last sample lies inside the file, which ffprobe -show_format does not.
 *
 * Returns null when the file is not ISO-BMFF, or is one this probe does not vouch for (fragmented,
 * a parser failure, a video track of a kind mp4box does not know, an unreadable file): the caller
 * then asks ffprobe, the authority before this probe existed.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { createFile, Log, MP4BoxBuffer, type ISOFile, type Movie, type Track } from 'mp4box';
import { h264PixelFormat } from './h264-pixel-format.ts';
import type { VideoProbe } from './probe-video.ts';

// mp4box prints parse errors of a malformed file to console.error (past the server's logger),
// unless they come with an ISOFile whose onError takes them. Reelay uses mp4box only here, and
// turns what onError gets into its own answer, so the stray ones are dropped.
Log.error = (module: string, msg?: string, isofile?: ISOFile): void => {
  isofile?.onError?.(module, msg ?? '');
};

/** What ffprobe names the format of every MP4 / MOV / 3GP file. */
export const ISO_BMFF_FORMAT_NAME = 'mov,mp4,m4a,3gp,3g2,mj2';

const CHUNK_BYTES = 64 * 1024;
/** A moov bigger than this is not one of ours; leave it to ffprobe rather than buffer it. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

const VIDEO_CODECS: Record<string, string> = {
  avc1: 'h264', avc2: 'h264', avc3: 'h264', avc4: 'h264',
  hvc1: 'hevc', hev1: 'hevc',
  av01: 'av1', vp09: 'vp9', vp08: 'vp8', mp4v: 'mpeg4',
};
const AUDIO_CODECS: Record<string, string> = {
  Opus: 'opus', 'ac-3': 'ac3', 'ec-3': 'eac3', fLaC: 'flac', alac: 'alac',
};

/** Not ISO-BMFF, or one to leave to ffprobe. */
class Decline extends Error {}

function notAVideo(file: string, reason: string): Error {
  return new Error(`not a video: ${file}: ${reason}`);
}

/** ftyp / moov first, of a sane size: anything else (PNG, WebM, text, `wide`+`mdat` QuickTime) is ffprobe's. */
function looksIsoBmff(head: Buffer, fileSize: number): boolean {
  if (head.length < 8) return false;
  const size = head.readUInt32BE(0);
  const type = head.toString('latin1', 4, 8);
  if (type !== 'ftyp' && type !== 'moov') return false;
  if (size === 0) return true; // the box runs to the end of the file
  if (size === 1) return head.length >= 16; // a 64-bit size follows
  return size >= 8 && size <= fileSize;
}

function sampleEntryType(iso: ISOFile, track: Track): string | undefined {
  return iso.getTrackById(track.id)?.mdia?.minf?.stbl?.stsd?.entries?.[0]?.type;
}

function videoCodecName(fourcc: string): string {
  return VIDEO_CODECS[fourcc] ?? fourcc;
}

function audioCodecName(fourcc: string, codec: string): string {
  if (fourcc === 'mp4a') {
    const oti = codec.split('.')[1]?.toLowerCase();
    if (oti === '40' || oti === '66' || oti === '67' || oti === '68') return 'aac';
    if (oti === '6b' || oti === '69') return 'mp3';
    return fourcc;
  }
  return AUDIO_CODECS[fourcc] ?? fourcc;
}

function pixelFormatOf(iso: ISOFile, track: Track, fourcc: string): string {
  const entry = iso.getTrackById(track.id)?.mdia?.minf?.stbl?.stsd?.entries?.[0] as { avcC?: { SPS?: ArrayLike<{ data?: Uint8Array }> } } | undefined;
  if (VIDEO_CODECS[fourcc] === 'h264') {
    const sps = entry?.avcC?.SPS?.[0]?.data;
    if (sps) return h264PixelFormat(sps);
  }
  return 'unknown';
}

/** A track's length as played: its edit list's (in the movie's timescale), else its samples'. */
function trackSeconds(track: Track, movieTimescale: number): number {
  const edited = (track.edits ?? []).reduce((sum, e) => sum + e.segment_duration, 0);
  if (edited > 0 && movieTimescale > 0) return edited / movieTimescale;
  const samples = track.samples_duration > 0 ? track.samples_duration : track.duration;
  return track.timescale > 0 ? samples / track.timescale : 0;
}

/** The greatest offset + size over the track's samples (from stco/co64, stsc, stsz). */
function trackEnd(iso: ISOFile, trackId: number): number {
  const samples = iso.getTrackById(trackId)?.samples ?? [];
  let end = 0;
  for (const s of samples) end = Math.max(end, s.offset + s.size);
  return end;
}

async function readAt(handle: FileHandle, position: number, length: number, signal: AbortSignal | undefined): Promise<Buffer> {
  signal?.throwIfAborted();
  const buffer = Buffer.allocUnsafe(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

function toMp4BoxBuffer(chunk: Buffer, fileStart: number): MP4BoxBuffer {
  // A fresh ArrayBuffer of exactly the chunk's bytes: mp4box keeps it and reads it by fileStart.
  const ab = new ArrayBuffer(chunk.length);
  new Uint8Array(ab).set(chunk);
  return MP4BoxBuffer.fromArrayBuffer(ab, fileStart);
}

/** Feeds the file to mp4box from `fileStart` on, jumping where it asks, until the moov is parsed. */
async function readMovie(handle: FileHandle, fileSize: number, signal: AbortSignal | undefined): Promise<{ iso: ISOFile; movie: Movie | null }> {
  const iso = createFile();
  let movie: Movie | null = null;
  let parseError: string | null = null;
  iso.onReady = (info) => {
    movie = info;
  };
  iso.onError = (_module, message) => {
    parseError = message;
  };
  let position = 0;
  let buffered = 0;
  const seen = new Set<number>();
  while (movie === null && position < fileSize) {
    // mp4box asking again for a place it has had will not get further: not a verdict, ffprobe's call.
    if (seen.has(position)) throw new Decline(`mp4box asks again for byte ${position}`);
    seen.add(position);
    const chunk = await readAt(handle, position, Math.min(CHUNK_BYTES, fileSize - position), signal);
    if (chunk.length === 0) break;
    buffered += chunk.length;
    if (buffered > MAX_BUFFERED_BYTES) throw new Decline('moov too big to buffer');
    const last = position + chunk.length >= fileSize;
    let next: number | undefined;
    try {
      next = iso.appendBuffer(toMp4BoxBuffer(chunk, position), last);
    } catch (e) {
      throw new Decline(`mp4box failed: ${(e as Error).message}`);
    }
    if (parseError !== null) throw new Decline(`mp4box: ${parseError}`);
    if (movie !== null) break;
    // mp4box names the next byte it needs; `undefined` means "go on where you were".
    position = typeof next === 'number' && Number.isFinite(next) && next > 0 ? next : position + chunk.length;
  }
  return { iso, movie };
}

/**
 * Probes an MP4 / MOV without ffprobe. null: not ISO-BMFF (or not one to vouch for), ask ffprobe.
 * Throws `not a video: <file>: <reason>` when it is ISO-BMFF but not a playable video.
 */
export async function probeMp4(file: string, signal?: AbortSignal): Promise<VideoProbe | null> {
  signal?.throwIfAborted();
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch {
    return null; // missing or unreadable: ffprobe says so in its words, as before
  }
  try {
    const fileSize = (await handle.stat()).size;
    const head = await readAt(handle, 0, Math.min(16, fileSize), signal);
    if (!looksIsoBmff(head, fileSize)) return null;
    const { iso, movie } = await readMovie(handle, fileSize, signal);
    signal?.throwIfAborted();
    if (movie === null) {
      throw notAVideo(file, iso.moov ? 'its moov box is unreadable' : 'it has no complete moov box (truncated or not a movie)');
    }
    return describe(file, fileSize, iso, movie);
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    if (e instanceof Decline) return null;
    if (e instanceof Error && e.message.startsWith('not a video')) throw e;
    return null; // a read error or a parser bug: let ffprobe decide
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function describe(file: string, fileSize: number, iso: ISOFile, movie: Movie): VideoProbe {
  if (movie.isFragmented) throw new Decline('fragmented'); // samples live in moofs: ffprobe's job
  const video = movie.videoTracks.find((t) => t.nb_samples > 0) ?? movie.videoTracks[0];
  if (!video) {
    const hasVideoHandler = iso.moov.traks.some((t) => t.mdia?.hdlr?.handler === 'vide');
    if (hasVideoHandler) throw new Decline('a video track of a kind mp4box does not know');
    throw notAVideo(file, 'it has no video stream');
  }
  if (video.nb_samples === 0) throw notAVideo(file, 'its video track has no samples');
  const width = video.video?.width || Math.round(video.track_width);
  const height = video.video?.height || Math.round(video.track_height);
  if (!(width > 0 && height > 0)) throw notAVideo(file, 'its video stream has no size');
  // As ffprobe's format duration: the longest track as its edit list plays it, else mvhd's.
  const longestTrack = Math.max(0, ...movie.tracks.map((t) => trackSeconds(t, movie.timescale)));
  const durationSeconds = longestTrack > 0 ? longestTrack : movie.timescale > 0 ? movie.duration / movie.timescale : 0;
  if (!(Number.isFinite(durationSeconds) && durationSeconds > 0)) throw notAVideo(file, 'it has no duration');
  for (const track of movie.tracks) {
    const end = trackEnd(iso, track.id);
    if (end > fileSize) {
      throw notAVideo(file, `it is truncated: track ${track.id}'s samples run to byte ${end}, the file has ${fileSize}`);
    }
  }
  const videoFourcc = sampleEntryType(iso, video) ?? video.codec.split('.')[0] ?? '';
  const audio = movie.audioTracks[0];
  const audioFourcc = audio ? (sampleEntryType(iso, audio) ?? audio.codec.split('.')[0] ?? '') : '';
  return {
    durationSeconds,
    width,
    height,
    videoCodec: videoCodecName(videoFourcc),
    pixelFormat: pixelFormatOf(iso, video, videoFourcc),
    hasAudio: audio !== undefined,
    audioCodec: audio ? audioCodecName(audioFourcc, audio.codec) : null,
    formatName: ISO_BMFF_FORMAT_NAME,
  };
}
