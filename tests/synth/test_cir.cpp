// CIR triplets and sets: the modification maps reference to target exactly, hard negatives,
// unique targets, held-out splits, determinism.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "lincir/synth.hpp"

namespace lincir::synth {
namespace {

bool has_token(const Text& t, const std::string& w) {
  return std::find(t.tokens.begin(), t.tokens.end(), w) != t.tokens.end();
}

// What changed between two scenes, computed independently of the library. Objects are matched
// by position; a lone object that moved counts as a position change.
std::multiset<ChangeKind> diff(const Scene& a, const Scene& b) {
  std::multiset<ChangeKind> d;
  if (a.background != b.background) d.insert(ChangeKind::background);
  if (a.texture != b.texture) d.insert(ChangeKind::texture);
  if (a.objects.size() == 1 && b.objects.size() == 1) {
    const Object &x = a.objects[0], &y = b.objects[0];
    if (x.shape != y.shape) d.insert(ChangeKind::shape);
    if (x.color != y.color) d.insert(ChangeKind::color);
    if (x.size != y.size) d.insert(ChangeKind::size);
    if (x.position != y.position) d.insert(ChangeKind::position);
    return d;
  }
  std::map<Position, Object> pa, pb;
  for (const Object& o : a.objects) pa[o.position] = o;
  for (const Object& o : b.objects) pb[o.position] = o;
  for (const auto& [p, o] : pa) {
    auto it = pb.find(p);
    if (it == pb.end()) {
      d.insert(ChangeKind::remove);
      continue;
    }
    if (o.shape != it->second.shape) d.insert(ChangeKind::shape);
    if (o.color != it->second.color) d.insert(ChangeKind::color);
    if (o.size != it->second.size) d.insert(ChangeKind::size);
  }
  for (const auto& [p, o] : pb)
    if (!pa.count(p)) d.insert(ChangeKind::add);
  return d;
}

TEST(SynthCir, TripletsMapReferenceToTargetAsStated) {
  const World w = World::standard();
  Rng rng(31);
  const std::vector<ChangeKind> kinds = supported_kinds(w);
  EXPECT_EQ(kinds.size(), 7u);  // no texture in the standard world
  for (int i = 0; i < 1400; ++i) {
    const ChangeKind kind = kinds[size_t(i) % kinds.size()];
    const Triplet t = make_triplet(w, kind, i % 3 == 0, rng, Split::all);
    ASSERT_EQ(t.target, apply_changes(t.reference, t.changes));
    ASSERT_TRUE(w.contains(t.reference));
    ASSERT_TRUE(w.contains(t.target));
    ASSERT_EQ(t.changes[0].kind, kind);
    std::multiset<ChangeKind> stated;
    for (const Change& c : t.changes) stated.insert(c.kind);
    ASSERT_EQ(diff(t.reference, t.target), stated)
        << t.reference.key() << " -> " << t.target.key() << ": " << t.modification.text.text;
    // The text states every new value.
    const Text& m = t.modification.text;
    Scene cur = t.reference;
    for (const Change& c : t.changes) {
      switch (c.kind) {
        case ChangeKind::color:
          EXPECT_TRUE(has_token(m, to_string(Color(c.value)))) << m.text;
          break;
        case ChangeKind::shape:
          EXPECT_TRUE(has_token(m, to_string(Shape(c.value)))) << m.text;
          break;
        case ChangeKind::background:
          EXPECT_TRUE(has_token(m, to_string(Background(c.value)))) << m.text;
          break;
        case ChangeKind::position:
          EXPECT_TRUE(has_token(m, to_string(Position(c.value))) ||
                      (Position(c.value) == Position::center && has_token(m, "middle")))
              << m.text;
          break;
        case ChangeKind::size: {
          const bool small = Size(c.value) == Size::small;
          bool ok = false;
          for (const char* x : small
                                   ? std::vector<const char*>{"small", "little", "tiny", "smaller"}
                                   : std::vector<const char*>{"large", "big", "bigger", "larger"})
            ok |= has_token(m, x);
          EXPECT_TRUE(ok) << m.text;
          break;
        }
        case ChangeKind::add:
          EXPECT_TRUE(has_token(m, to_string(c.added.shape)) &&
                      has_token(m, to_string(c.added.color)))
              << m.text;
          break;
        case ChangeKind::remove: {
          // Names the removed object or the one that stays ("only the orange shape").
          const Object& gone = cur.objects[size_t(c.object)];
          const Object& kept = cur.objects[size_t(1 - c.object)];
          bool named = false;
          for (const Object* o : {&gone, &kept})
            named |= has_token(m, to_string(o->shape)) || has_token(m, to_string(o->color));
          EXPECT_TRUE(named) << m.text;
          break;
        }
        case ChangeKind::texture:
          break;
      }
      cur = apply_change(cur, c);
    }
    EXPECT_EQ(t.heldout_combo, w.has_heldout(t.reference) || w.has_heldout(t.target));
  }
}

TEST(SynthCir, ReferringExpressionsPickOutOneObject) {
  // In two-object references the text names the edited object so that the other does not fit:
  // every shape, size and position word is true of the edited object, and at least one named
  // attribute (shape, old colour, size, position) is false of the other object.
  const World w = World::standard();
  Rng rng(5);
  const std::map<std::string, Size> sizes = {{"small", Size::small},
                                             {"little", Size::small},
                                             {"tiny", Size::small},
                                             {"large", Size::large},
                                             {"big", Size::large}};
  for (int i = 0; i < 400; ++i) {
    const Triplet t = make_triplet(w, ChangeKind::color, false, rng, Split::all, 1.0);
    ASSERT_EQ(t.reference.objects.size(), 2u);
    const Text& m = t.modification.text;
    const Object& edited = t.reference.objects[size_t(t.changes[0].object)];
    const Object& other = t.reference.objects[size_t(1 - t.changes[0].object)];
    bool other_fits = true;
    for (const std::string& tok : m.tokens) {
      for (int k = 0; k < kNumShapes; ++k)
        if (tok == to_string(Shape(k))) {
          ASSERT_EQ(Shape(k), edited.shape) << m.text;
          other_fits &= other.shape == edited.shape;
        }
      for (int k = 0; k < kNumPositions; ++k)
        if (tok == to_string(Position(k))) {
          ASSERT_EQ(Position(k), edited.position) << m.text;
          other_fits = false;
        }
      if (sizes.count(tok)) {
        ASSERT_EQ(sizes.at(tok), edited.size) << m.text;
        other_fits &= other.size == edited.size;
      }
      if (tok == to_string(edited.color)) other_fits &= other.color == edited.color;
    }
    EXPECT_FALSE(other_fits) << m.text << " | " << t.reference.key();
  }
}

TEST(SynthCir, SetHasUniqueTargetsAndAllHardNegatives) {
  const World w = World::standard();
  CirOptions o;
  o.seed = 7;
  o.num_queries = 210;
  o.num_distractors = 50;
  const CirSet set = make_cir_set(w, o);
  ASSERT_EQ(set.queries.size(), 210u);
  std::map<std::string, int> keys;
  for (size_t i = 0; i < set.gallery.size(); ++i)
    ASSERT_TRUE(keys.emplace(set.gallery[i].scene.key(), int(i)).second) << "duplicate scene";
  EXPECT_GE(set.gallery.size(), 2240u + 50u);
  std::map<ChangeKind, int> per_kind;
  int two = 0;
  for (size_t q = 0; q < set.queries.size(); ++q) {
    const Triplet& t = set.queries[q];
    EXPECT_EQ(set.gallery[size_t(set.target_index[q])].scene, t.target);
    EXPECT_EQ(set.gallery[size_t(set.reference_index[q])].scene, t.reference);
    EXPECT_NE(set.target_index[q], set.reference_index[q]);
    for (const Scene& n : w.neighbors(t.target))
      ASSERT_TRUE(keys.count(n.key())) << "hard negative missing: " << n.key();
    ++per_kind[t.changes[0].kind];
    two += t.changes.size() == 2;
  }
  for (const auto& [k, n] : per_kind) EXPECT_EQ(n, 30) << to_string(k);  // round-robin
  EXPECT_NEAR(two / 210.0, 0.15, 0.08);
  std::set<uint64_t> seeds;
  for (const GalleryItem& g : set.gallery) seeds.insert(g.render_seed);
  EXPECT_EQ(seeds.size(), set.gallery.size());
}

TEST(SynthCir, DeterministicPerSeed) {
  const World w = World::standard();
  CirOptions o;
  o.num_queries = 60;
  o.include_single_object_scenes = false;
  o.num_distractors = 10;
  const CirSet a = make_cir_set(w, o), b = make_cir_set(w, o);
  o.seed += 1;
  const CirSet c = make_cir_set(w, o);
  ASSERT_EQ(a.gallery.size(), b.gallery.size());
  for (size_t i = 0; i < a.gallery.size(); ++i) {
    EXPECT_EQ(a.gallery[i].scene, b.gallery[i].scene);
    EXPECT_EQ(a.gallery[i].render_seed, b.gallery[i].render_seed);
  }
  int same = 0;
  for (size_t q = 0; q < a.queries.size(); ++q) {
    EXPECT_EQ(a.queries[q].modification.text.text, b.queries[q].modification.text.text);
    EXPECT_EQ(a.target_index[q], b.target_index[q]);
    same += a.queries[q].reference == c.queries[q].reference &&
            a.queries[q].modification.text.text == c.queries[q].modification.text.text;
  }
  EXPECT_LT(same, 3);
}

TEST(SynthCir, TrainSplitNeverTouchesHeldOutPairsOrPhrasings) {
  const World w = World::rich();
  CirOptions o;
  o.split = Split::train;
  o.num_queries = 240;
  o.num_distractors = 100;
  const CirSet set = make_cir_set(w, o);
  for (const GalleryItem& g : set.gallery) ASSERT_FALSE(w.has_heldout(g.scene)) << g.scene.key();
  for (const Triplet& t : set.queries) {
    EXPECT_FALSE(t.heldout_combo);
    EXPECT_FALSE(t.modification.heldout);
    for (int id : t.modification.phrasing_ids) EXPECT_FALSE(phrasings()[size_t(id)].heldout);
    for (const ShapeColor& sc : w.heldout_combos)  // nor in the text ("add a ... purple star")
      EXPECT_FALSE(has_token(t.modification.text, to_string(sc.shape)) &&
                   has_token(t.modification.text, to_string(sc.color)) &&
                   t.changes[0].kind == ChangeKind::add && t.changes[0].added.shape == sc.shape &&
                   t.changes[0].added.color == sc.color);
  }
}

TEST(SynthCir, HeldOutAndAllSplits) {
  const World w = World::standard();
  Rng rng(17);
  const std::vector<ChangeKind> kinds = supported_kinds(w);
  int combo = 0, phrasing = 0;
  for (int i = 0; i < 350; ++i) {
    const Triplet t = make_triplet(w, kinds[size_t(i) % kinds.size()], false, rng, Split::heldout);
    ASSERT_TRUE(t.heldout_combo || t.modification.heldout);
    combo += t.heldout_combo;
    phrasing += t.modification.heldout;
  }
  EXPECT_GT(combo, 50);
  EXPECT_GT(phrasing, 50);
  CirOptions o;
  o.num_queries = 700;
  o.include_single_object_scenes = false;
  o.num_distractors = 0;
  const CirSet all = make_cir_set(w, o);
  combo = phrasing = 0;
  for (const Triplet& t : all.queries) combo += t.heldout_combo, phrasing += t.modification.heldout;
  // Roughly one query in seven of each kind (prototype: 13% held-out pairs).
  EXPECT_GT(combo, 50);
  EXPECT_LT(combo, 200);
  EXPECT_GT(phrasing, 50);
  EXPECT_LT(phrasing, 200);
  // Every kind has at least one held-out phrasing, and it is never the only phrasing.
  for (ChangeKind k :
       {ChangeKind::color, ChangeKind::shape, ChangeKind::size, ChangeKind::position,
        ChangeKind::background, ChangeKind::texture, ChangeKind::add, ChangeKind::remove}) {
    int held = 0, train = 0;
    for (const Phrasing& p : phrasings())
      if (p.kind == k) (p.heldout ? held : train)++;
    EXPECT_GE(held, 1) << to_string(k);
    EXPECT_GE(train, 4) << to_string(k);
  }
}

TEST(SynthCir, RejectsWhatTheWorldCannotExpress) {
  const World w = World::standard();
  Rng rng(1);
  EXPECT_THROW(make_triplet(w, ChangeKind::texture, false, rng), Error);
  CirOptions o;
  o.kinds = {ChangeKind::texture};
  EXPECT_THROW(make_cir_set(w, o), Error);
  o.kinds = {};
  o.num_queries = -1;
  EXPECT_THROW(make_cir_set(w, o), Error);
  Scene s;
  s.objects = {{Shape::circle, Color::red, Size::small, Position::left}};
  Change c;
  c.kind = ChangeKind::color;
  c.value = int(Color::red);
  EXPECT_THROW(phrase_modification(s, {c}, rng), Error);
  EXPECT_THROW(phrase_modification(s, {}, rng), Error);
}

}  // namespace
}  // namespace lincir::synth
