/**
 * The pixel format ffprobe names for an H.264 stream (`yuv420p`, `yuvj420p`, `yuv422p10le`, ...),
 * read from its sequence parameter set: chroma format, bit depth and the full-range flag.
 */
/** Reads bits of an RBSP (emulation-prevention bytes already removed); throws past the end. */
class BitReader {
  private bit: number;
  private readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array, startByte: number) {
    this.bytes = bytes;
    this.bit = startByte * 8;
  }
  u(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.bytes[this.bit >> 3];
      if (byte === undefined) throw new RangeError('SPS ends early');
      v = v * 2 + ((byte >> (7 - (this.bit & 7))) & 1);
      this.bit++;
    }
    return v;
  }
  ue(): number {
    let zeros = 0;
    while (this.u(1) === 0) {
      if (++zeros > 31) throw new RangeError('bad exp-Golomb code');
    }
    return 2 ** zeros - 1 + this.u(zeros);
  }
  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -k / 2;
  }
}

function unescapeRbsp(nal: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < nal.length; i++) {
    if (i >= 2 && nal[i] === 3 && nal[i - 1] === 0 && nal[i - 2] === 0 && out[out.length - 1] === 0 && out[out.length - 2] === 0) continue;
    out.push(nal[i] as number);
  }
  return Uint8Array.from(out);
}

const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/**
 * The pixel format ffmpeg's H.264 decoder picks for this SPS (h264_slice.c get_pixel_format):
 * chroma format, bit depth and the VUI's full-range flag (yuvj*). 'unknown' for what it does not cover.
 */
export function h264PixelFormat(sps: Uint8Array): string {
  try {
    const r = new BitReader(unescapeRbsp(sps), 1);
    const profile = r.u(8);
    r.u(16); // constraint flags, level
    r.ue(); // seq_parameter_set_id
    let chroma = 1;
    let depthLuma = 8;
    let depthChroma = 8;
    if (HIGH_PROFILES.has(profile)) {
      chroma = r.ue();
      if (chroma === 3) r.u(1); // separate_colour_plane_flag
      depthLuma = r.ue() + 8;
      depthChroma = r.ue() + 8;
      r.u(1); // qpprime_y_zero_transform_bypass_flag
      if (r.u(1) === 1) {
        for (let i = 0; i < (chroma === 3 ? 12 : 8); i++) {
          if (r.u(1) === 0) continue;
          let last = 8;
          let next = 8;
          for (let j = 0; j < (i < 6 ? 16 : 64); j++) {
            if (next !== 0) next = (last + r.se() + 256) % 256;
            last = next === 0 ? last : next;
          }
        }
      }
    }
    r.ue(); // log2_max_frame_num_minus4
    const pocType = r.ue();
    if (pocType === 0) r.ue();
    else if (pocType === 1) {
      r.u(1);
      r.se();
      r.se();
      const cycle = r.ue();
      if (cycle > 255) return 'unknown';
      for (let i = 0; i < cycle; i++) r.se();
    }
    r.ue(); // max_num_ref_frames
    r.u(1); // gaps_in_frame_num_value_allowed_flag
    r.ue(); // pic_width_in_mbs_minus1
    r.ue(); // pic_height_in_map_units_minus1
    if (r.u(1) === 0) r.u(1); // frame_mbs_only_flag, mb_adaptive_frame_field_flag
    r.u(1); // direct_8x8_inference_flag
    if (r.u(1) === 1) for (let i = 0; i < 4; i++) r.ue(); // frame cropping
    let fullRange = false;
    let matrix = 2; // unspecified
    if (r.u(1) === 1) {
      if (r.u(1) === 1 && r.u(8) === 255) r.u(32); // aspect_ratio_idc, extended SAR
      if (r.u(1) === 1) r.u(1); // overscan
      if (r.u(1) === 1) {
        r.u(3); // video_format
        fullRange = r.u(1) === 1;
        if (r.u(1) === 1) {
          r.u(16); // colour_primaries, transfer_characteristics
          matrix = r.u(8);
        }
      }
    }
    if (depthLuma !== depthChroma) return 'unknown';
    const layout = chroma === 1 ? '420' : chroma === 2 ? '422' : chroma === 3 ? '444' : null;
    if (layout === null) return 'unknown'; // monochrome: decoder-dependent
    if (depthLuma === 8) {
      if (layout === '444' && matrix === 0) return 'gbrp';
      return `${fullRange ? 'yuvj' : 'yuv'}${layout}p`;
    }
    if (depthLuma === 10) return layout === '444' && matrix === 0 ? 'gbrp10le' : `yuv${layout}p10le`;
    return 'unknown';
  } catch {
    return 'unknown';
  }
}
