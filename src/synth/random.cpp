// SplitMix64 (Steele, Lea, Flood 2014): one 64-bit add and a mixing function per draw. Chosen
// over std::mt19937 + std:: distributions because those distributions are implementation-
// defined, and the synthetic world must produce the same data on every platform.
#include "lincir/synth.hpp"

namespace lincir::synth {
namespace {
constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull;

uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
}  // namespace

double Rng::uniform() {
  return double(next_u64() >> 11) * (1.0 / 9007199254740992.0);
}

double Rng::uniform(double lo, double hi) {
  return lo + (hi - lo) * uniform();
}

uint32_t Rng::below(uint32_t n) {
  LINCIR_CHECK(n > 0, "Rng::below: n must be positive");
  // Rejection sampling on 32-bit draws: unbiased and portable (no 128-bit multiply).
  const uint32_t threshold = uint32_t(-n) % n;  // 2^32 mod n
  for (;;) {
    const uint32_t r = uint32_t(next_u64() >> 32);
    if (r >= threshold) return r % n;
  }
}

bool Rng::bernoulli(double p) {
  return uniform() < p;
}

double Rng::normal() {
  // Irwin-Hall: the sum of 12 U(0,1) has mean 6 and variance 1. Pure arithmetic, so the values
  // do not depend on the platform's libm; tails are cut at +-6 sigma, irrelevant here.
  double s = 0.0;
  for (int i = 0; i < 12; ++i) s += uniform();
  return s - 6.0;
}

Rng Rng::fork(uint64_t salt) const {
  return Rng(mix_seed(state_, salt));
}

uint64_t mix_seed(uint64_t seed, uint64_t salt) {
  return mix64(mix64(seed + kGolden) ^ (salt * 0xD1B54A32D192ED03ull + 0x8CB92BA72F3D8DD7ull));
}

}  // namespace lincir::synth
