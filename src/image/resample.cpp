#include "image/resample.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace lincir::detail {
namespace {

// 8-bit results, 22 fraction bits: a tap sum fits int32 with two bits of headroom for the
// negative lobes (Pillow's PRECISION_BITS = 32 - 8 - 2).
constexpr int kPrecisionBits = 22;

// Cubic convolution kernel, a = -0.5, written in the same evaluation order as Pillow so that
// the doubles (and hence the rounded fixed-point weights) are identical.
inline double bicubic(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

// Per output index along one axis: first source index, tap count and fixed-point weights
// (`ksize` slots each). Precomputed once per axis; the passes only do integer MACs.
struct AxisTaps {
  int ksize = 0;
  std::vector<int> first;
  std::vector<int> count;
  std::vector<int32_t> weight;
};

AxisTaps precompute_taps(int in_size, int out_size) {
  AxisTaps t;
  // Pillow divides the float box width (exact for these sizes) by the output size.
  const double scale = double(float(in_size)) / out_size;
  const double filterscale = scale < 1.0 ? 1.0 : scale;
  const double support = 2.0 * filterscale;
  t.ksize = int(std::ceil(support)) * 2 + 1;
  t.first.resize(out_size);
  t.count.resize(out_size);
  t.weight.assign(size_t(out_size) * t.ksize, 0);
  std::vector<double> w(t.ksize);
  const double ss = 1.0 / filterscale;
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    int xmin = int(center - support + 0.5);  // C truncation, as Pillow
    if (xmin < 0) xmin = 0;
    int xmax = int(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    const int n = xmax - xmin;
    double ww = 0.0;
    for (int x = 0; x < n; ++x) {
      w[x] = bicubic((x + xmin - center + 0.5) * ss);
      ww += w[x];
    }
    int32_t* k = &t.weight[size_t(xx) * t.ksize];
    for (int x = 0; x < n; ++x) {
      const double v = ww != 0.0 ? w[x] / ww : w[x];
      k[x] = v < 0 ? int32_t(-0.5 + v * (1 << kPrecisionBits))
                   : int32_t(0.5 + v * (1 << kPrecisionBits));
    }
    t.first[xx] = xmin;
    t.count[xx] = n;
  }
  return t;
}

inline uint8_t clip8(int32_t acc) {
  const int32_t v = acc >> kPrecisionBits;  // arithmetic shift, as Pillow's lookup index
  return uint8_t(v < 0 ? 0 : (v > 255 ? 255 : v));
}

// Horizontal pass over rows [y0, y1) of `src` into `dst` (rows 0..y1-y0).
template <int C>
void horizontal_pass(const uint8_t* src, int in_w, int y0, int y1, const AxisTaps& t, int out_w,
                     uint8_t* dst) {
  for (int y = y0; y < y1; ++y) {
    const uint8_t* row = src + size_t(y) * in_w * C;
    uint8_t* out = dst + size_t(y - y0) * out_w * C;
    for (int xx = 0; xx < out_w; ++xx) {
      const int32_t* k = &t.weight[size_t(xx) * t.ksize];
      const uint8_t* p = row + size_t(t.first[xx]) * C;
      int32_t acc[C];
      for (int c = 0; c < C; ++c) acc[c] = 1 << (kPrecisionBits - 1);
      const int n = t.count[xx];
      for (int x = 0; x < n; ++x)
        for (int c = 0; c < C; ++c) acc[c] += int32_t(p[x * C + c]) * k[x];
      for (int c = 0; c < C; ++c) out[xx * C + c] = clip8(acc[c]);
    }
  }
}

// Vertical pass: rows are accumulated whole, which vectorises; integer sums are exact, so the
// order of the taps does not matter. `row_offset` is the first source row `src` holds.
void vertical_pass(const uint8_t* src, int row_offset, size_t row_len, const AxisTaps& t,
                   int out_h, uint8_t* dst) {
  std::vector<int32_t> acc(row_len);
  for (int yy = 0; yy < out_h; ++yy) {
    std::fill(acc.begin(), acc.end(), 1 << (kPrecisionBits - 1));
    const int32_t* k = &t.weight[size_t(yy) * t.ksize];
    const int first = t.first[yy] - row_offset;
    for (int y = 0; y < t.count[yy]; ++y) {
      const uint8_t* row = src + size_t(first + y) * row_len;
      const int32_t ky = k[y];
      int32_t* a = acc.data();
      for (size_t i = 0; i < row_len; ++i) a[i] += int32_t(row[i]) * ky;
    }
    uint8_t* out = dst + size_t(yy) * row_len;
    for (size_t i = 0; i < row_len; ++i) out[i] = clip8(acc[i]);
  }
}

}  // namespace

void resample_bicubic_u8(const uint8_t* src, int in_w, int in_h, int channels, uint8_t* dst,
                         int out_w, int out_h) {
  const bool need_h = out_w != in_w;
  const bool need_v = out_h != in_h;
  if (!need_h && !need_v) {
    std::memcpy(dst, src, size_t(in_w) * in_h * channels);
    return;
  }
  const AxisTaps tv = precompute_taps(in_h, out_h);
  if (!need_h) {
    vertical_pass(src, 0, size_t(in_w) * channels, tv, out_h, dst);
    return;
  }
  const AxisTaps th = precompute_taps(in_w, out_w);
  // Only the source rows the vertical pass reads are resampled horizontally.
  const int y0 = tv.first[0];
  const int y1 = tv.first[out_h - 1] + tv.count[out_h - 1];
  uint8_t* hdst = dst;
  std::vector<uint8_t> tmp;
  if (need_v) {
    tmp.resize(size_t(y1 - y0) * out_w * channels);
    hdst = tmp.data();
  }
  switch (channels) {
    case 1: horizontal_pass<1>(src, in_w, y0, y1, th, out_w, hdst); break;
    case 2: horizontal_pass<2>(src, in_w, y0, y1, th, out_w, hdst); break;
    case 3: horizontal_pass<3>(src, in_w, y0, y1, th, out_w, hdst); break;
    default: horizontal_pass<4>(src, in_w, y0, y1, th, out_w, hdst); break;
  }
  if (need_v) vertical_pass(tmp.data(), y0, size_t(out_w) * channels, tv, out_h, dst);
}

void resample_nearest_u8(const uint8_t* src, int in_w, int in_h, int channels, uint8_t* dst,
                         int out_w, int out_h) {
  auto table = [](int in, int out) {
    std::vector<int> idx(out);
    const double step = double(float(in)) / out;
    double pos = step * 0.5;
    for (int i = 0; i < out; ++i) {
      // Accumulated rounding could in theory step past the last index; clamp it.
      idx[i] = std::min(pos < 0.0 ? 0 : int(pos), in - 1);
      pos += step;
    }
    return idx;
  };
  const std::vector<int> xs = table(in_w, out_w), ys = table(in_h, out_h);
  for (int y = 0; y < out_h; ++y) {
    const uint8_t* row = src + size_t(ys[y]) * in_w * channels;
    uint8_t* out = dst + size_t(y) * out_w * channels;
    for (int x = 0; x < out_w; ++x)
      std::memcpy(out + size_t(x) * channels, row + size_t(xs[x]) * channels, channels);
  }
}

}  // namespace lincir::detail
