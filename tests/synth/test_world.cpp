// Random numbers, scenes, the world's vocabulary, held-out pairs, sampling and neighbours.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "lincir/synth.hpp"

namespace lincir::synth {
namespace {

// Number of attribute differences between two scenes with objects matched by position, counted
// independently of the library: object count, and per shared position shape/colour/size.
int attribute_differences(const Scene& a, const Scene& b) {
  int d = (a.background != b.background) + (a.texture != b.texture);
  std::map<Position, Object> pa, pb;
  for (const Object& o : a.objects) pa[o.position] = o;
  for (const Object& o : b.objects) pb[o.position] = o;
  for (const auto& [p, o] : pa) {
    auto it = pb.find(p);
    if (it == pb.end()) continue;
    d +=
        (o.shape != it->second.shape) + (o.color != it->second.color) + (o.size != it->second.size);
  }
  return d;
}

TEST(SynthRng, MatchesSplitMix64Reference) {
  // Published SplitMix64 outputs for state 0 (Vigna's reference implementation).
  Rng r(0);
  EXPECT_EQ(r.next_u64(), 0xE220A8397B1DCDAFull);
  EXPECT_EQ(r.next_u64(), 0x6E789E6AA1B965F4ull);
  EXPECT_EQ(r.next_u64(), 0x06C45D188009454Full);
}

TEST(SynthRng, DistributionsAreSane) {
  Rng r(42);
  std::vector<int> counts(7, 0);
  double sum = 0, sum2 = 0, usum = 0;
  const int n = 70000;
  for (int i = 0; i < n; ++i) {
    const uint32_t k = r.below(7);
    ASSERT_LT(k, 7u);
    ++counts[k];
    const double u = r.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    usum += u;
    const double z = r.normal();
    sum += z;
    sum2 += z * z;
  }
  for (int c : counts) EXPECT_NEAR(c, n / 7.0, 400);  // ~4.5 sigma
  EXPECT_NEAR(usum / n, 0.5, 0.01);
  EXPECT_NEAR(sum / n, 0.0, 0.02);
  EXPECT_NEAR(sum2 / n, 1.0, 0.03);
  EXPECT_THROW(r.below(0), Error);
}

TEST(SynthRng, SeedsAndForksAreIndependent) {
  Rng a(1), b(1), c(2);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.next_u64(), b.next_u64());
  EXPECT_NE(Rng(1).next_u64(), c.next_u64());
  Rng base(5);
  EXPECT_NE(base.fork(1).next_u64(), base.fork(2).next_u64());
  EXPECT_NE(mix_seed(1, 2), mix_seed(2, 1));
}

TEST(SynthScene, KeyRoundTripAndNames) {
  Scene s;
  s.background = Background::navy;
  s.texture = Texture::dots;
  s.objects = {{Shape::star, Color::blue, Size::large, Position::right},
               {Shape::circle, Color::red, Size::small, Position::left}};
  canonicalize(s);
  EXPECT_EQ(s.key(), "navy dots | small red circle left | large blue star right");
  EXPECT_EQ(parse_scene_key(s.key()), s);
  EXPECT_THROW(parse_scene_key("navy dots | small red blob left"), Error);
  EXPECT_THROW(parse_scene_key("navy"), Error);
  for (int i = 0; i < kNumShapes; ++i) EXPECT_EQ(parse_shape(to_string(Shape(i))), Shape(i));
  for (int i = 0; i < kNumColors; ++i) EXPECT_EQ(parse_color(to_string(Color(i))), Color(i));
  for (int i = 0; i < kNumBackgrounds; ++i)
    EXPECT_EQ(parse_background(to_string(Background(i))), Background(i));
  EXPECT_THROW(parse_color("mauve"), Error);
  EXPECT_EQ(parse_split("heldout"), Split::heldout);
}

TEST(SynthScene, LayoutRules) {
  Scene s;
  s.objects = {{Shape::star, Color::blue, Size::large, Position::left},
               {Shape::circle, Color::red, Size::small, Position::top}};
  canonicalize(s);
  EXPECT_FALSE(scene_problem(s).empty());  // left + top is no layout
  s.objects[1].position = Position::right;
  canonicalize(s);
  EXPECT_TRUE(scene_problem(s).empty());
  s.objects.push_back({Shape::ring, Color::green, Size::small, Position::center});
  canonicalize(s);
  EXPECT_FALSE(scene_problem(s).empty());  // three objects must be small
  for (Object& o : s.objects) o.size = Size::small;
  EXPECT_TRUE(scene_problem(s).empty());
  Scene empty;
  EXPECT_THROW(validate_scene(empty), Error);
  Scene unsorted = s;
  std::swap(unsorted.objects[0], unsorted.objects[2]);
  EXPECT_FALSE(scene_problem(unsorted).empty());
}

TEST(SynthWorld, UniverseAndHeldOutCounts) {
  const World w = World::standard();
  w.validate();
  // 4 backgrounds x 7 shapes x 8 colours x 2 sizes x 5 positions, as in the prototype.
  EXPECT_EQ(w.single_object_scenes(Split::all).size(), 2240u);
  // Each of the 5 held-out pairs accounts for 4 x 2 x 5 = 40 scenes.
  EXPECT_EQ(w.single_object_scenes(Split::heldout).size(), 200u);
  EXPECT_EQ(w.single_object_scenes(Split::train).size(), 2040u);
  for (const Scene& s : w.single_object_scenes(Split::train)) ASSERT_FALSE(w.has_heldout(s));
  const World r = World::rich();
  r.validate();
  EXPECT_EQ(r.single_object_scenes(Split::all).size(), size_t(6 * 3 * 9 * 9 * 2 * 5));
}

TEST(SynthWorld, ValidateRejectsBadWorlds) {
  World w = World::standard();
  w.shapes.push_back(Shape::circle);
  EXPECT_THROW(w.validate(), Error);
  w = World::standard();
  w.heldout_combos.push_back({Shape::heart, Color::red});  // heart is not in the vocabulary
  EXPECT_THROW(w.validate(), Error);
  w = World::standard();
  w.heldout_combos.clear();
  for (Color c : w.colors) w.heldout_combos.push_back({Shape::star, c});
  EXPECT_THROW(w.validate(), Error);  // stars would never be seen in training
  w = World::standard();
  w.count_weights = {0, 0, 0};
  EXPECT_THROW(w.validate(), Error);
}

TEST(SynthWorld, SamplingRespectsSplitsAndWeights) {
  const World w = World::standard();
  Rng rng(3);
  int counts[4] = {0, 0, 0, 0};
  const int n = 4000;
  for (int i = 0; i < n; ++i) {
    const Scene s = w.sample(rng, Split::train);
    ASSERT_TRUE(w.allows(s, Split::train)) << s.key();
    ++counts[s.objects.size()];
  }
  EXPECT_NEAR(counts[1] / double(n), 0.70, 0.03);
  EXPECT_NEAR(counts[2] / double(n), 0.22, 0.03);
  EXPECT_NEAR(counts[3] / double(n), 0.08, 0.02);
  int heldout_in_all = 0;
  for (int i = 0; i < n; ++i) {
    const Scene h = w.sample(rng, Split::heldout);
    ASSERT_TRUE(w.has_heldout(h)) << h.key();
    ASSERT_TRUE(w.contains(h));
    heldout_in_all += w.has_heldout(w.sample(rng, 1, Split::all));
  }
  // 5 of the 56 (shape, colour) pairs are held out.
  EXPECT_NEAR(heldout_in_all / double(n), 5.0 / 56.0, 0.02);
  // Same seed, same scenes.
  Rng a(9), b(9);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(w.sample(a).key(), w.sample(b).key());
}

TEST(SynthWorld, NeighborsDifferInExactlyOneAttribute) {
  const World w = World::standard();
  Scene one;
  one.background = Background::gray;
  one.objects = {{Shape::square, Color::green, Size::large, Position::left}};
  const std::vector<Scene> n1 = w.neighbors(one);
  // 6 other shapes + 7 colours + 1 size + 4 positions + 3 backgrounds.
  EXPECT_EQ(n1.size(), 21u);
  std::set<std::string> keys;
  for (const Scene& s : n1) {
    EXPECT_TRUE(keys.insert(s.key()).second);
    EXPECT_NE(s, one);
    if (s.objects[0].position == one.objects[0].position)
      EXPECT_EQ(attribute_differences(one, s), 1) << s.key();
    else
      EXPECT_EQ(attribute_differences(one, s), 0) << s.key();  // moved only
  }
  Scene two = one;
  two.objects.push_back({Shape::star, Color::red, Size::small, Position::right});
  canonicalize(two);
  int removals = 0, moves = 0;
  for (const Scene& s : w.neighbors(two)) {
    ASSERT_TRUE(w.contains(s));
    if (s.objects.size() == 1) {
      ++removals;
    } else if (attribute_differences(two, s) == 1) {
      continue;
    } else {
      ++moves;  // swapped or flipped layout
    }
  }
  EXPECT_EQ(removals, 2);
  EXPECT_EQ(moves, 2);
  // The training split drops neighbours with held-out pairs (red diamond, cyan circle ...).
  Scene red_square = one;
  red_square.objects[0].color = Color::red;
  bool has_red_diamond = false;
  for (const Scene& s : w.neighbors(red_square, Split::all))
    has_red_diamond |= s.objects[0].shape == Shape::diamond;
  EXPECT_TRUE(has_red_diamond);
  for (const Scene& s : w.neighbors(red_square, Split::train)) EXPECT_FALSE(w.has_heldout(s));
}

TEST(SynthWorld, ApplyChange) {
  Scene s;
  s.objects = {{Shape::circle, Color::red, Size::small, Position::left}};
  Change c;
  c.kind = ChangeKind::color;
  c.value = int(Color::blue);
  EXPECT_EQ(apply_change(s, c).objects[0].color, Color::blue);
  c.value = int(Color::red);
  EXPECT_THROW(apply_change(s, c), Error);  // no-op change
  c.kind = ChangeKind::add;
  c.added = {Shape::star, Color::green, Size::large, Position::right};
  Scene t = apply_change(s, c);
  ASSERT_EQ(t.objects.size(), 2u);
  EXPECT_EQ(t.objects[1], c.added);
  c.added.position = Position::top;
  EXPECT_THROW(apply_change(s, c), Error);  // left + top is no layout
  Change rm;
  rm.kind = ChangeKind::remove;
  rm.object = 1;
  EXPECT_EQ(apply_change(t, rm), s);
  EXPECT_THROW(apply_change(s, rm), Error);
  rm.object = 0;
  EXPECT_THROW(apply_change(s, rm), Error);  // cannot remove the only object
  Change mv;
  mv.kind = ChangeKind::position;
  mv.value = int(Position::center);
  EXPECT_EQ(apply_change(s, mv).objects[0].position, Position::center);
  EXPECT_THROW(apply_change(t, mv), Error);  // left + center is no layout
}

}  // namespace
}  // namespace lincir::synth
