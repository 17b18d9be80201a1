// Scene rendering: implicit shapes sampled on a supersampled grid (anti-aliasing), jittered
// from the seed. No libm calls: rotations use a polynomial sin/cos and the star is folded by
// fixed rotations, so pixels are identical wherever floats are IEEE-754.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "lincir/synth.hpp"

namespace lincir::synth {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Taylor series, accurate to ~1e-12 for |x| <= pi/4; only small jitter angles are used.
void poly_sincos(double x, double* s, double* c) {
  const double x2 = x * x;
  *s = x * (1 - x2 / 6 * (1 - x2 / 20 * (1 - x2 / 42 * (1 - x2 / 72 * (1 - x2 / 110)))));
  *c = 1 - x2 / 2 * (1 - x2 / 12 * (1 - x2 / 30 * (1 - x2 / 56 * (1 - x2 / 90 * (1 - x2 / 132)))));
}

// Object centres as fractions of the image side.
void position_center(Position p, float* x, float* y) {
  *x = 0.5f, *y = 0.5f;
  switch (p) {
    case Position::left:
      *x = 0.25f, *y = 0.5f;
      return;
    case Position::right:
      *x = 0.75f, *y = 0.5f;
      return;
    case Position::top:
      *x = 0.5f, *y = 0.25f;
      return;
    case Position::bottom:
      *x = 0.5f, *y = 0.75f;
      return;
    case Position::center:
      return;
  }
}

// Radius in pixels at 40 px (the prototype's r = 5 / 8.5).
float base_radius(Size z) {
  return z == Size::small ? 5.0f : 8.5f;
}

// Star constants: 5 points, outer radius 1.1, inner 0.45, one point straight up.
constexpr float kStarOuter = 1.1f;
constexpr float kStarInner = 0.45f;
constexpr float kSin36 = 0.58778525229f, kCos36 = 0.80901699437f;
constexpr float kSin72 = 0.95105651630f, kCos72 = 0.30901699437f;

// Is the point (u, w) (unit radius, w pointing up) inside the shape?
bool inside(Shape shape, float u, float w) {
  switch (shape) {
    case Shape::circle:
      return u * u + w * w <= 1.0f;
    case Shape::ring: {
      const float r2 = u * u + w * w;
      return r2 <= 1.0f && r2 >= 0.55f * 0.55f;
    }
    case Shape::square:
      return std::fabs(u) <= 0.82f && std::fabs(w) <= 0.82f;
    case Shape::diamond:
      return std::fabs(u) / 0.8f + std::fabs(w) / 1.15f <= 1.0f;
    case Shape::cross:
      return (std::fabs(u) <= 0.3f && std::fabs(w) <= 1.0f) ||
             (std::fabs(w) <= 0.3f && std::fabs(u) <= 1.0f);
    case Shape::triangle: {
      // Equilateral, circumradius 1.2, centroid at the origin, apex up: three half-planes.
      constexpr float R = 1.2f, h = 0.6f, s3 = 1.7320508f;
      if (w < -h) return false;
      // Sides through the apex (0, R) with slope +-sqrt(3).
      return s3 * std::fabs(u) + w <= R;
    }
    case Shape::star: {
      // Rotate by 72 degrees until the point lies in the sector around the up axis, fold it
      // onto the right half, then test against the edge outer point -> inner point.
      float x = u, y = w;
      for (int k = 0; k < 5; ++k) {
        if (y > 0.0f && std::fabs(x) * kCos36 <= y * kSin36) break;
        const float nx = x * kCos72 + y * kSin72;  // rotate clockwise by 72 degrees
        const float ny = -x * kSin72 + y * kCos72;
        x = nx, y = ny;
      }
      x = std::fabs(x);
      const float bx = kStarInner * kSin36, by = kStarInner * kCos36;
      const float cross = bx * (y - kStarOuter) - (by - kStarOuter) * x;
      return cross <= 0.0f;
    }
    case Shape::hexagon: {
      // Flat top and bottom, circumradius 1.
      constexpr float s3 = 1.7320508f;
      const float au = std::fabs(u), aw = std::fabs(w);
      return aw <= s3 * 0.5f && s3 * au + aw <= s3;
    }
    case Shape::heart: {
      // (x^2 + y^2 - 1)^3 - x^2 y^3 <= 0, scaled and shifted to sit in the unit disc.
      const float x = u * 1.2f, y = w * 1.2f + 0.15f;
      const float a = x * x + y * y - 1.0f;
      return a * a * a - x * x * y * y * y <= 0.0f;
    }
  }
  return false;
}

// Radii (unit coordinates) of a disc containing the shape and of a disc inside it (0: none,
// e.g. the ring's hole). Pixels wholly outside / inside skip supersampling; the result is the
// same as sampling them.
void shape_bounds(Shape shape, float* outer, float* inner) {
  switch (shape) {
    case Shape::circle:
      *outer = 1.0f, *inner = 1.0f;
      return;
    case Shape::ring:
      *outer = 1.0f, *inner = 0.0f;
      return;
    case Shape::square:
      *outer = 1.16f, *inner = 0.82f;
      return;
    case Shape::diamond:
      *outer = 1.15f, *inner = 0.65f;
      return;
    case Shape::cross:
      *outer = 1.05f, *inner = 0.3f;
      return;
    case Shape::triangle:
      *outer = 1.2f, *inner = 0.6f;
      return;
    case Shape::star:
      *outer = 1.1f, *inner = 0.44f;
      return;
    case Shape::hexagon:
      *outer = 1.0f, *inner = 0.86f;
      return;
    case Shape::heart:
      *outer = 1.3f, *inner = 0.4f;
      return;
  }
  *outer = 1.5f, *inner = 0.0f;
}

struct ObjectParams {
  float cx, cy, radius, cos_r, sin_r;
  float rgb[3];
};

inline float clamp255(float v) {
  return v < 0.0f ? 0.0f : (v > 255.0f ? 255.0f : v);
}

// Pixel noise: four 16-bit uniforms from one draw, Irwin-Hall(4) scaled to unit variance.
inline float cheap_normal(uint64_t r) {
  const float s =
      float(r & 0xFFFF) + float((r >> 16) & 0xFFFF) + float((r >> 32) & 0xFFFF) + float(r >> 48);
  return (s * (1.0f / 65536.0f) - 2.0f) * 1.7320508f;
}

}  // namespace

void render_into(const Scene& scene, uint64_t seed, const RenderOptions& opt, uint8_t* rgb) {
  validate_scene(scene);
  LINCIR_CHECK(opt.size >= 8 && opt.size <= 1024, "RenderOptions.size must be 8-1024");
  LINCIR_CHECK(opt.supersample >= 1 && opt.supersample <= 16,
               "RenderOptions.supersample must be 1-16");
  LINCIR_CHECK(rgb != nullptr, "render_into: null output buffer");
  Rng rng(seed);
  const int W = opt.size;
  const float scale = float(W) / 40.0f;
  const bool jit = opt.jitter;
  auto sym = [&](float amplitude) {
    return jit ? float(rng.uniform(-1.0, 1.0)) * amplitude : 0.0f;
  };

  // Draw all jitter first, in a fixed order, so the stream layout is easy to reason about.
  const int n = int(scene.objects.size());
  // Three objects in a row are only 10 px apart: less positional jitter keeps them apart.
  const float pos_jit = opt.position_jitter * scale * (n == 3 ? 0.5f : 1.0f);
  ObjectParams params[3];
  for (int i = 0; i < n; ++i) {
    const Object& o = scene.objects[i];
    ObjectParams& p = params[i];
    float fx, fy;
    position_center(o.position, &fx, &fy);
    p.cx = fx * W + sym(pos_jit);
    p.cy = fy * W + sym(pos_jit);
    p.radius = base_radius(o.size) * scale * (1.0f + sym(opt.radius_jitter));
    const double angle = double(sym(opt.rotation_jitter)) * kPi / 180.0;
    double s, c;
    poly_sincos(angle, &s, &c);
    p.cos_r = float(c), p.sin_r = float(s);
    const std::array<uint8_t, 3> base = color_rgb(o.color);
    const float bright = 1.0f + sym(0.08f * (opt.color_jitter > 0 ? 1.0f : 0.0f));
    for (int k = 0; k < 3; ++k)
      p.rgb[k] = clamp255(float(base[k]) * bright + sym(opt.color_jitter));
  }
  float bg[3];
  const std::array<uint8_t, 3> bgb = background_rgb(scene.background);
  for (int k = 0; k < 3; ++k) bg[k] = clamp255(float(bgb[k]) + sym(opt.color_jitter * 0.6f));
  const float phase = jit ? float(rng.uniform()) : 0.0f;

  const int S = opt.supersample;
  const float inv_s = 1.0f / float(S);
  const float inv_ss = 1.0f / float(S * S);
  std::vector<float> img(size_t(W) * W * 3);

  // Background and texture. Texture marks are the background mixed 25% towards white (dark
  // backgrounds) or black (light ones): visible, but far weaker than any object.
  float mark[3];
  const float luma = 0.299f * bg[0] + 0.587f * bg[1] + 0.114f * bg[2];
  for (int k = 0; k < 3; ++k)
    mark[k] = luma < 128.0f ? bg[k] + 0.25f * (255.0f - bg[k]) : bg[k] * 0.75f;
  const float period = 8.0f * scale;
  const float dot_r2 = (1.6f * scale) * (1.6f * scale);
  for (int y = 0; y < W; ++y) {
    for (int x = 0; x < W; ++x) {
      float cover = 0.0f;
      if (scene.texture != Texture::plain) {
        int hits = 0;
        for (int sy = 0; sy < S; ++sy)
          for (int sx = 0; sx < S; ++sx) {
            const float px = x + (sx + 0.5f) * inv_s, py = y + (sy + 0.5f) * inv_s;
            if (scene.texture == Texture::stripes) {
              const float t = (px + py) / period + phase;
              hits += (t - std::floor(t)) < 0.4f;
            } else {
              const float gx = px / period + phase, gy = py / period + phase;
              const float dx = (gx - std::floor(gx) - 0.5f) * period;
              const float dy = (gy - std::floor(gy) - 0.5f) * period;
              hits += dx * dx + dy * dy <= dot_r2;
            }
          }
        cover = float(hits) * inv_ss;
      }
      float* px = &img[(size_t(y) * W + x) * 3];
      for (int k = 0; k < 3; ++k) px[k] = bg[k] + cover * (mark[k] - bg[k]);
    }
  }

  // Objects, painted in canonical order over their bounding boxes only.
  for (int i = 0; i < n; ++i) {
    const ObjectParams& p = params[i];
    const Shape shape = scene.objects[i].shape;
    const float reach = p.radius * 1.3f + 1.0f;
    const int x0 = std::max(0, int(std::floor(p.cx - reach)));
    const int x1 = std::min(W - 1, int(std::ceil(p.cx + reach)));
    const int y0 = std::max(0, int(std::floor(p.cy - reach)));
    const int y1 = std::min(W - 1, int(std::ceil(p.cy + reach)));
    const float inv_r = 1.0f / p.radius;
    float outer, inner;
    shape_bounds(shape, &outer, &inner);
    const float h = 0.7072f * inv_r;  // a pixel's half-diagonal in unit coordinates
    const float far2 = (outer + h) * (outer + h);
    const float near2 = inner > h ? (inner - h) * (inner - h) : -1.0f;
    for (int y = y0; y <= y1; ++y) {
      for (int x = x0; x <= x1; ++x) {
        const float ux = (x + 0.5f - p.cx) * inv_r, uy = (y + 0.5f - p.cy) * inv_r;
        const float d2 = ux * ux + uy * uy;
        if (d2 > far2) continue;
        float* px = &img[(size_t(y) * W + x) * 3];
        if (d2 <= near2) {
          for (int k = 0; k < 3; ++k) px[k] = p.rgb[k];
          continue;
        }
        int hits = 0;
        for (int sy = 0; sy < S; ++sy) {
          const float dy = y + (sy + 0.5f) * inv_s - p.cy;
          for (int sx = 0; sx < S; ++sx) {
            const float dx = x + (sx + 0.5f) * inv_s - p.cx;
            const float u = (p.cos_r * dx + p.sin_r * dy) * inv_r;
            const float v = (-p.sin_r * dx + p.cos_r * dy) * inv_r;
            hits += inside(shape, u, -v);  // image y points down, shapes' w up
          }
        }
        if (hits == 0) continue;
        const float a = float(hits) * inv_ss;
        for (int k = 0; k < 3; ++k) px[k] += a * (p.rgb[k] - px[k]);
      }
    }
  }

  const float sigma = jit ? opt.noise_sigma * 255.0f : 0.0f;
  const size_t total = size_t(W) * W * 3;
  if (sigma > 0.0f) {
    for (size_t j = 0; j < total; ++j) {
      const float v = img[j] + sigma * cheap_normal(rng.next_u64());
      rgb[j] = uint8_t(std::min(std::max(v, 0.0f), 255.0f) + 0.5f);
    }
  } else {
    for (size_t j = 0; j < total; ++j)
      rgb[j] = uint8_t(std::min(std::max(img[j], 0.0f), 255.0f) + 0.5f);
  }
}

Image render(const Scene& scene, uint64_t seed, const RenderOptions& options) {
  LINCIR_CHECK(options.size >= 8 && options.size <= 1024, "RenderOptions.size must be 8-1024");
  Image img;
  img.width = options.size;
  img.height = options.size;
  img.mode = ImageMode::rgb;
  img.pixels.resize(size_t(options.size) * options.size * 3);
  render_into(scene, seed, options, img.pixels.data());
  return img;
}

}  // namespace lincir::synth
