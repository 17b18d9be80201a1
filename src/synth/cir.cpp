// CIR triplets (reference + modification -> exact target) and benchmark sets whose galleries
// hold every one-attribute hard negative of every target.
#include <algorithm>
#include <unordered_map>

#include "lincir/synth.hpp"

namespace lincir::synth {
namespace {

template <class T>
bool has(const std::vector<T>& v, T x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

Position opposite(Position p) {
  switch (p) {
    case Position::left:
      return Position::right;
    case Position::right:
      return Position::left;
    case Position::top:
      return Position::bottom;
    case Position::bottom:
      return Position::top;
    case Position::center:
      return Position::center;
  }
  return p;
}

template <class E>
int other_value(const std::vector<E>& values, E current, Rng& rng) {
  std::vector<E> pool;
  for (E v : values)
    if (v != current) pool.push_back(v);
  LINCIR_CHECK(!pool.empty(), "make_triplet: the world has a single value for this attribute");
  return int(rng.pick(pool));
}

bool attribute_kind(ChangeKind k) {
  return k != ChangeKind::add && k != ChangeKind::remove;
}

// A random change of `kind` for `ref`; false if `ref` cannot take it.
bool random_change(const World& w, const Scene& ref, ChangeKind kind, Rng& rng, Split scene_split,
                   Change* out) {
  Change c;
  c.kind = kind;
  const int n = int(ref.objects.size());
  c.object = int(rng.below(uint32_t(n)));
  const Object& o = ref.objects[c.object];
  switch (kind) {
    case ChangeKind::color:
      c.value = other_value(w.colors, o.color, rng);
      break;
    case ChangeKind::shape:
      c.value = other_value(w.shapes, o.shape, rng);
      break;
    case ChangeKind::size:
      c.value = other_value(w.sizes, o.size, rng);
      break;
    case ChangeKind::position:
      if (n != 1) return false;
      c.value = other_value(w.positions, o.position, rng);
      break;
    case ChangeKind::background:
      c.value = other_value(w.backgrounds, ref.background, rng);
      break;
    case ChangeKind::texture:
      c.value = other_value(w.textures, ref.texture, rng);
      break;
    case ChangeKind::add: {
      if (n != 1) return false;
      const Position p = opposite(o.position);
      if (p == o.position || !has(w.positions, p)) return false;
      c.added =
          w.sample(rng, 1, scene_split == Split::train ? Split::train : Split::all).objects[0];
      c.added.position = p;
      c.object = 0;
      break;
    }
    case ChangeKind::remove:
      if (n != 2) return false;
      break;
  }
  *out = c;
  return true;
}

}  // namespace

std::vector<ChangeKind> supported_kinds(const World& w) {
  std::vector<ChangeKind> k;
  if (w.colors.size() > 1) k.push_back(ChangeKind::color);
  if (w.shapes.size() > 1) k.push_back(ChangeKind::shape);
  if (w.sizes.size() > 1) k.push_back(ChangeKind::size);
  if (w.positions.size() > 1) k.push_back(ChangeKind::position);
  if (w.backgrounds.size() > 1) k.push_back(ChangeKind::background);
  if (w.textures.size() > 1) k.push_back(ChangeKind::texture);
  const bool pairs = (has(w.positions, Position::left) && has(w.positions, Position::right)) ||
                     (has(w.positions, Position::top) && has(w.positions, Position::bottom));
  if (pairs) {
    k.push_back(ChangeKind::add);
    k.push_back(ChangeKind::remove);
  }
  return k;
}

Triplet make_triplet(const World& world, ChangeKind kind, bool two_changes, Rng& rng, Split split,
                     double two_object_fraction) {
  const std::vector<ChangeKind> kinds = supported_kinds(world);
  LINCIR_CHECK(has(kinds, kind), std::string("make_triplet: this world cannot express a '") +
                                     to_string(kind) + "' change");
  LINCIR_CHECK(two_object_fraction >= 0.0 && two_object_fraction <= 1.0,
               "make_triplet: two_object_fraction must be in [0, 1]");
  const Split scene_split = split == Split::train ? Split::train : Split::all;
  const PhrasingSet set = split == Split::train ? PhrasingSet::training : PhrasingSet::any;
  std::vector<ChangeKind> second_kinds;
  for (ChangeKind k : kinds)
    if (attribute_kind(k) && k != kind) second_kinds.push_back(k);

  for (int attempt = 0; attempt < 10000; ++attempt) {
    int count = 1;
    if (kind == ChangeKind::remove)
      count = 2;
    else if (kind != ChangeKind::position && kind != ChangeKind::add &&
             rng.bernoulli(two_object_fraction))
      count = 2;
    Scene ref = world.sample(rng, count, scene_split);
    std::vector<Change> changes(1);
    if (!random_change(world, ref, kind, rng, scene_split, &changes[0])) continue;
    if (two_changes && !second_kinds.empty()) {
      Scene mid;
      try {
        mid = apply_change(ref, changes[0]);
      } catch (const Error&) {
        continue;
      }
      Change second;
      ChangeKind k2 = rng.pick(second_kinds);
      // After an add or remove only scene-level changes keep the object indices simple.
      if (!attribute_kind(kind) && k2 != ChangeKind::background && k2 != ChangeKind::texture)
        continue;
      if (!random_change(world, mid, k2, rng, scene_split, &second)) continue;
      changes.push_back(second);
    }
    Scene target;
    try {
      target = apply_changes(ref, changes);
    } catch (const Error&) {
      continue;  // e.g. a large object in a full row
    }
    if (!world.allows(ref, scene_split) || !world.allows(target, scene_split)) continue;
    if (changes.size() == 2 && !world.allows(apply_change(ref, changes[0]), scene_split)) continue;
    Triplet t;
    t.reference = ref;
    t.target = target;
    t.changes = changes;
    t.heldout_combo = world.has_heldout(ref) || world.has_heldout(target);
    t.modification = phrase_modification(ref, changes, rng, set);
    if (split == Split::heldout && !t.heldout_combo && !t.modification.heldout) continue;
    return t;
  }
  LINCIR_THROW(Status::invalid_argument, std::string("make_triplet: could not build a '") +
                                             to_string(kind) + "' triplet for split '" +
                                             to_string(split) + "'");
}

CirSet make_cir_set(const World& world, const CirOptions& options) {
  world.validate();
  LINCIR_CHECK(options.num_queries >= 0, "CirOptions.num_queries must be >= 0");
  LINCIR_CHECK(options.num_distractors >= 0, "CirOptions.num_distractors must be >= 0");
  LINCIR_CHECK(options.two_change_fraction >= 0.0 && options.two_change_fraction <= 1.0,
               "CirOptions.two_change_fraction must be in [0, 1]");
  CirSet set;
  set.world = world;
  set.options = options;
  std::vector<ChangeKind> kinds = options.kinds.empty() ? supported_kinds(world) : options.kinds;
  const std::vector<ChangeKind> supported = supported_kinds(world);
  for (ChangeKind k : kinds)
    LINCIR_CHECK(has(supported, k),
                 std::string("CirOptions.kinds: this world cannot express '") + to_string(k) + "'");
  LINCIR_CHECK(!kinds.empty() || options.num_queries == 0, "CirOptions: no change kinds");
  const Split scene_split = options.split == Split::train ? Split::train : Split::all;

  Rng rng(options.seed);
  Rng query_rng = rng.fork(1);
  for (int q = 0; q < options.num_queries; ++q) {
    const ChangeKind kind = kinds[size_t(q) % kinds.size()];
    const bool two = query_rng.bernoulli(options.two_change_fraction);
    set.queries.push_back(
        make_triplet(world, kind, two, query_rng, options.split, options.two_object_fraction));
  }

  std::unordered_map<std::string, int> index;
  auto add = [&](const Scene& s) {
    auto [it, fresh] = index.emplace(s.key(), int(set.gallery.size()));
    if (fresh) set.gallery.push_back({s, 0});
    return it->second;
  };
  if (options.include_single_object_scenes)
    for (const Scene& s : world.single_object_scenes(scene_split)) add(s);
  for (const Triplet& t : set.queries) {
    set.reference_index.push_back(add(t.reference));
    set.target_index.push_back(add(t.target));
    if (options.include_hard_negatives)
      for (const Scene& s : world.neighbors(t.target, scene_split)) add(s);
  }
  Rng distractor_rng = rng.fork(2);
  const double w2 = world.count_weights[1], w3 = world.count_weights[2];
  int added = 0;
  for (int attempt = 0;
       added < options.num_distractors && attempt < 50 * options.num_distractors + 100; ++attempt) {
    const int count = (w2 + w3 <= 0.0 || distractor_rng.uniform() * (w2 + w3) < w2) ? 2 : 3;
    Scene s;
    try {
      s = world.sample(distractor_rng, count, scene_split);
    } catch (const Error&) {
      continue;  // a world without room for three objects
    }
    const size_t before = set.gallery.size();
    add(s);
    added += set.gallery.size() > before;
  }
  Rng seed_rng = rng.fork(3);
  for (GalleryItem& g : set.gallery) g.render_seed = seed_rng.next_u64();
  return set;
}

}  // namespace lincir::synth
