/**
 * The faces dataset of seed 000: 32×32 RGB images of a cartoon face generated from two
 * parameters, the face's size and the background's hue.
 *
 * Browser-safe (no Node imports): the explorer renders with exactly the code training used.
 *
 * Geometry. A face is drawn in "face units": the whole face (top of the hair to the chin) spans
 * v ∈ [-0.5, 0.5] vertically, and u is the horizontal coordinate on the same scale. The face is
 * centred in the image and one face unit is `size * height` pixels, so at size 1.0 the face is
 * exactly as tall as the image (32 px), and above 1.0 the image border crops it.
 *
 * Every pixel is the average of `supersample²` sub-pixel samples of analytic shapes (ellipses,
 * arcs), which anti-aliases the edges.
 */
import { Rng } from '../math/rng.js';
import type { Dataset, ImageSet } from './dataset.js';

/** The parameters of seed 000's faces dataset. */
export const FACES = {
  count: 2000,
  height: 32,
  width: 32,
  channels: 3,
  sizeRange: [0.4, 1.4] as const,
  hueRange: [0.3, 0.8] as const,
  /** Every image whose parameters fall inside this rectangle goes to the validation split. */
  validation: { size: [0.6, 0.9] as const, hue: [0.4, 0.7] as const },
  /** Saturation and value of the background colour, HSV(hue, 0.8, 0.8). */
  backgroundSaturation: 0.8,
  backgroundValue: 0.8,
} as const;

/** Options of `renderFace`: image size and supersampling. */
export interface RenderOptions {
  /** Image width in pixels (default 32). */
  width?: number;
  /** Image height in pixels (default 32); the face's size is relative to it. */
  height?: number;
  /** Sub-pixel samples per axis (default 4, i.e. 16 samples per pixel). */
  supersample?: number;
}

/** HSV (all components in [0, 1], hue wraps around) to RGB in [0, 1]. */
export function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const hh = ((h % 1) + 1) % 1 * 6;
  const i = Math.floor(hh);
  const f = hh - i;
  const p = v * (1 - s);
  const q = v * (1 - s * f);
  const t = v * (1 - s * (1 - f));
  switch (i % 6) {
    case 0: return [v, t, p];
    case 1: return [q, v, p];
    case 2: return [p, v, t];
    case 3: return [p, q, v];
    case 4: return [t, p, v];
    default: return [v, p, q];
  }
}

/** True when (size, hue) lies in the validation rectangle (edges included). */
export function isValidationParams(size: number, hue: number): boolean {
  const r = FACES.validation;
  return size >= r.size[0] && size <= r.size[1] && hue >= r.hue[0] && hue <= r.hue[1];
}

// ---------------------------------------------------------------------------------------------
// The face, in face units (see the header). Palette indices, painted back to front.

const BACKGROUND = 0;
const HAIR = 1;
const SKIN = 2;
const SHADE = 3;
const BLUSH = 4;
const EYE_WHITE = 5;
const PUPIL = 6;
const BROW = 7;
const MOUTH = 8;
const OUTLINE = 9;
const PALETTE_SIZE = 10;

/** RGB of every palette entry except the background (index 0), which is set per image. */
const PALETTE: ReadonlyArray<readonly [number, number, number]> = [
  [0, 0, 0], // background, replaced per image
  [0.34, 0.19, 0.08], // hair
  [0.99, 0.82, 0.66], // skin
  [0.86, 0.58, 0.44], // shade: nose, inner ear
  [0.98, 0.66, 0.62], // blush
  [1.0, 1.0, 1.0], // eye whites
  [0.1, 0.08, 0.16], // pupils
  [0.24, 0.13, 0.05], // eyebrows
  [0.74, 0.11, 0.16], // mouth
  [0.45, 0.28, 0.2], // face outline
];

// Shape constants (face units). The face oval runs from v = -0.40 to the chin at v = +0.50; the
// hair cap reaches the top at v = -0.50.
const FACE_CY = 0.05, FACE_RX = 0.31, FACE_RY = 0.45;
const OUTLINE_W = 0.022;
const HAIR_CY = -0.07, HAIR_RX = 0.415, HAIR_RY = 0.43, HAIR_BOTTOM = 0.2;
const EAR_CX = 0.31, EAR_CY = 0.06, EAR_RX = 0.055, EAR_RY = 0.085;
const EYE_CX = 0.125, EYE_CY = -0.015, EYE_RX = 0.095, EYE_RY = 0.072;
const PUPIL_CY = -0.005, PUPIL_R = 0.047;
const BROW_CY = 0.03, BROW_R = 0.16, BROW_HALF_W = 0.026, BROW_HALF_SPAN = 0.45;
const NOSE_CY = 0.125, NOSE_RX = 0.035, NOSE_RY = 0.055;
const BLUSH_CX = 0.19, BLUSH_CY = 0.16, BLUSH_RX = 0.06, BLUSH_RY = 0.04;
const MOUTH_CY = 0.225, MOUTH_RX = 0.135, MOUTH_RY = 0.11;
/** Bounding box of everything drawn: outside it every sample is background. */
const BOX_U = HAIR_RX, BOX_V = 0.5;

function inEllipse(u: number, v: number, cx: number, cy: number, rx: number, ry: number): boolean {
  const a = (u - cx) / rx;
  const b = (v - cy) / ry;
  return a * a + b * b <= 1;
}

/** Lower edge of the fringe: a row of rounded locks across the forehead. */
function fringeEdge(u: number): number {
  return -0.2 - 0.035 * Math.abs(Math.sin((u + 0.02) * Math.PI / 0.16)) + 0.05 * u;
}

/** Palette index of the face at a point (u, v) in face units. */
export function faceColourIndex(u: number, v: number): number {
  if (u < -BOX_U || u > BOX_U || v < -BOX_V || v > BOX_V) return BACKGROUND;
  const au = Math.abs(u); // the face is symmetric except for the fringe

  // Face oval: normalised radius e < 1 inside.
  const fu = u / FACE_RX, fv = (v - FACE_CY) / FACE_RY;
  const e = Math.sqrt(fu * fu + fv * fv);
  if (e <= 1) {
    // Fringe over the top of the forehead (its edge is never below v = -0.18).
    if (v < -0.18 && v < fringeEdge(u)) return HAIR;
    // Features, front to back; the cheap band tests skip the shapes a row cannot touch.
    if (v >= EYE_CY - EYE_RY && v <= EYE_CY + EYE_RY) {
      if (inEllipse(au, v, EYE_CX, PUPIL_CY, PUPIL_R, PUPIL_R)) return PUPIL;
      if (inEllipse(au, v, EYE_CX, EYE_CY, EYE_RX, EYE_RY)) return EYE_WHITE;
    }
    if (v >= BROW_CY - BROW_R - BROW_HALF_W && v <= BROW_CY - (BROW_R - BROW_HALF_W) * Math.cos(BROW_HALF_SPAN)) {
      // Eyebrows: arcs of a circle below them, thick BROW_HALF_W*2, spanning ±BROW_HALF_SPAN rad.
      const du = au - EYE_CX, dv = v - BROW_CY;
      const d = Math.sqrt(du * du + dv * dv);
      if (Math.abs(d - BROW_R) <= BROW_HALF_W && dv < 0 && Math.abs(Math.atan2(du, -dv)) <= BROW_HALF_SPAN) return BROW;
    }
    if (v >= MOUTH_CY) {
      if (inEllipse(u, v, 0, MOUTH_CY, MOUTH_RX, MOUTH_RY)) return MOUTH;
    } else if (v >= NOSE_CY - NOSE_RY) {
      if (inEllipse(u, v, 0, NOSE_CY, NOSE_RX, NOSE_RY)) return SHADE;
    }
    if (v >= BLUSH_CY - BLUSH_RY && v <= BLUSH_CY + BLUSH_RY && inEllipse(au, v, BLUSH_CX, BLUSH_CY, BLUSH_RX, BLUSH_RY)) return BLUSH;
    // A thin outline where the oval meets the background (not under the hair).
    if (e > 1 - OUTLINE_W / FACE_RY && v > HAIR_BOTTOM - 0.02) return OUTLINE;
    return SKIN;
  }
  // Ears, in front of the hair.
  if (inEllipse(au, v, EAR_CX, EAR_CY, EAR_RX, EAR_RY)) {
    return inEllipse(au, v, EAR_CX + 0.008, EAR_CY, EAR_RX * 0.45, EAR_RY * 0.55) ? SHADE : SKIN;
  }
  // Hair behind the face, cut straight at HAIR_BOTTOM.
  if (v <= HAIR_BOTTOM && inEllipse(u, v, 0, HAIR_CY, HAIR_RX, HAIR_RY)) return HAIR;
  return BACKGROUND;
}

/**
 * Renders one face image: `height × width × 3` values (HWC) in [0, 1].
 * `size` scales the face (1.0 = as tall as the image), `hue` sets the background HSV(hue, .8, .8).
 */
export function renderFace(size: number, hue: number, out?: Float32Array, opts: RenderOptions = {}): Float32Array {
  const width = opts.width ?? FACES.width;
  const height = opts.height ?? FACES.height;
  const ss = opts.supersample ?? 4;
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new RangeError(`renderFace: width and height must be positive integers, got ${width}×${height}`);
  }
  if (!(Number.isInteger(ss) && ss >= 1)) throw new RangeError(`renderFace: supersample must be a positive integer, got ${ss}`);
  const n = width * height * 3;
  if (!out) out = new Float32Array(n);
  else if (out.length < n) throw new RangeError(`renderFace: output has ${out.length} values, needs ${n}`);

  const [br, bg, bb] = hsvToRgb(hue, FACES.backgroundSaturation, FACES.backgroundValue);
  const palR = PALETTE.map((c) => c[0]);
  const palG = PALETTE.map((c) => c[1]);
  const palB = PALETTE.map((c) => c[2]);
  palR[BACKGROUND] = br;
  palG[BACKGROUND] = bg;
  palB[BACKGROUND] = bb;

  // Pixel coordinates (continuous, pixel x covers [x, x+1]) to face units.
  const scale = size * height; // pixels per face unit
  const cx = width / 2, cy = height / 2;
  const counts = new Uint32Array(PALETTE_SIZE);
  const samples = ss * ss;

  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      // Whole pixel outside the face's bounding box (or no face at all): plain background.
      const u0 = (x - cx) / scale, u1 = (x + 1 - cx) / scale;
      const v0 = (y - cy) / scale, v1 = (y + 1 - cy) / scale;
      if (!(scale > 0) || u1 < -BOX_U || u0 > BOX_U || v1 < -BOX_V || v0 > BOX_V) {
        out[o] = br;
        out[o + 1] = bg;
        out[o + 2] = bb;
        continue;
      }
      counts.fill(0);
      for (let j = 0; j < ss; j++) {
        const v = (y + (j + 0.5) / ss - cy) / scale;
        for (let i = 0; i < ss; i++) {
          const u = (x + (i + 0.5) / ss - cx) / scale;
          counts[faceColourIndex(u, v)]++;
        }
      }
      let r = 0, g = 0, b = 0;
      for (let k = 0; k < PALETTE_SIZE; k++) {
        const c = counts[k];
        if (c === 0) continue;
        r += c * palR[k];
        g += c * palG[k];
        b += c * palB[k];
      }
      out[o] = r / samples;
      out[o + 1] = g / samples;
      out[o + 2] = b / samples;
    }
  }
  return out;
}

/**
 * Renders many faces: `params` holds (size, hue) pairs; the result is NHWC, n × 32 × 32 × 3.
 */
export function renderParams(params: Float32Array | ArrayLike<number>, opts: RenderOptions = {}): Float32Array {
  if (params.length % 2 !== 0) throw new RangeError(`renderParams: params must hold (size, hue) pairs, got ${params.length} values`);
  const count = params.length / 2;
  const size = (opts.width ?? FACES.width) * (opts.height ?? FACES.height) * 3;
  const out = new Float32Array(count * size);
  for (let i = 0; i < count; i++) {
    renderFace(params[2 * i], params[2 * i + 1], out.subarray(i * size, (i + 1) * size), opts);
  }
  return out;
}

export interface ParamRanges {
  size: readonly [number, number];
  hue: readonly [number, number];
}

/** The training ranges of the generating parameters. */
export const TRAINING_RANGES: ParamRanges = { size: FACES.sizeRange, hue: FACES.hueRange };

/**
 * An n × n grid of (size, hue) pairs spanning `ranges` edge to edge (both ends included), as a
 * Float32Array of n·n·2 values. Row-major with hue along the rows and size along the columns:
 * pair k = r·n + c has hue = lerp(hue range, r/(n-1)) (row 0 = lowest hue) and
 * size = lerp(size range, c/(n-1)) (column 0 = smallest face). For n = 1 the centre is used.
 */
export function parameterGrid(n = 10, ranges: ParamRanges = TRAINING_RANGES): Float32Array {
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`parameterGrid: n must be a positive integer, got ${n}`);
  const at = (range: readonly [number, number], i: number) =>
    n === 1 ? (range[0] + range[1]) / 2 : range[0] + ((range[1] - range[0]) * i) / (n - 1);
  const out = new Float32Array(n * n * 2);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const k = r * n + c;
      out[2 * k] = at(ranges.size, c);
      out[2 * k + 1] = at(ranges.hue, r);
    }
  }
  return out;
}

/** Options of `generateFaces`. */
export interface GenerateFacesOptions {
  /** Seed of the Rng that draws the parameters (default 0). */
  seed?: number;
  /** Number of images before the split (default 2000). */
  count?: number;
}

/**
 * The faces dataset: `count` images whose (size, hue) are drawn from Rng(seed) — for each image
 * in turn, size ~ U(0.4, 1.4) then hue ~ U(0.3, 0.8) — split into train and validation by the
 * validation rectangle (about 82% / 18%). Both splits keep generation order; `params` holds the
 * (size, hue) pair of every image.
 */
export function generateFaces(opts: GenerateFacesOptions = {}): Dataset {
  const seed = opts.seed ?? 0;
  const count = opts.count ?? FACES.count;
  if (!(Number.isInteger(count) && count >= 0)) throw new RangeError(`generateFaces: count must be a non-negative integer, got ${count}`);
  const rng = new Rng(seed);
  const params = new Float32Array(count * 2);
  let nVal = 0;
  for (let i = 0; i < count; i++) {
    const size = rng.uniformIn(FACES.sizeRange[0], FACES.sizeRange[1]);
    const hue = rng.uniformIn(FACES.hueRange[0], FACES.hueRange[1]);
    params[2 * i] = size;
    params[2 * i + 1] = hue;
    // Decide the split on the stored (float32) values so params and split always agree.
    if (isValidationParams(params[2 * i], params[2 * i + 1])) nVal++;
  }
  const trainParams = new Float32Array((count - nVal) * 2);
  const valParams = new Float32Array(nVal * 2);
  let t = 0, v = 0;
  for (let i = 0; i < count; i++) {
    const s = params[2 * i], h = params[2 * i + 1];
    if (isValidationParams(s, h)) {
      valParams[2 * v] = s;
      valParams[2 * v++ + 1] = h;
    } else {
      trainParams[2 * t] = s;
      trainParams[2 * t++ + 1] = h;
    }
  }
  const set = (p: Float32Array): ImageSet => ({ images: renderParams(p), count: p.length / 2, params: p });
  return {
    name: 'faces',
    height: FACES.height,
    width: FACES.width,
    channels: FACES.channels,
    train: set(trainParams),
    validation: set(valParams),
  };
}
