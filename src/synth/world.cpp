// Scenes (keys, layout rules, edits) and the World: vocabulary, held-out pairs, sampling and
// one-attribute neighbours.
#include <algorithm>
#include <set>
#include <sstream>

#include "lincir/synth.hpp"

namespace lincir::synth {
namespace {

using Layout = std::vector<Position>;

// The allowed position sets per object count (see Scene).
const std::vector<Layout>& layouts(int count) {
  static const std::vector<Layout> one = {
      {Position::left}, {Position::right}, {Position::top}, {Position::bottom}, {Position::center}};
  static const std::vector<Layout> two = {{Position::left, Position::right},
                                          {Position::top, Position::bottom}};
  static const std::vector<Layout> three = {{Position::left, Position::right, Position::center},
                                            {Position::top, Position::bottom, Position::center}};
  static const std::vector<Layout> none;
  switch (count) {
    case 1:
      return one;
    case 2:
      return two;
    case 3:
      return three;
    default:
      return none;
  }
}

template <class T>
bool has(const std::vector<T>& v, T x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

template <class T>
void check_list(const std::vector<T>& v, int n, const char* what) {
  LINCIR_CHECK(!v.empty(), std::string("World: no ") + what);
  std::set<int> seen;
  for (T x : v) {
    LINCIR_CHECK(int(x) >= 0 && int(x) < n, std::string("World: invalid ") + what + " value");
    LINCIR_CHECK(seen.insert(int(x)).second,
                 std::string("World: duplicate ") + what + " '" + to_string(x) + "'");
  }
}

std::vector<std::string> split_on(const std::string& s, const std::string& sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) break;
    start = p + sep.size();
  }
  return out;
}

std::vector<std::string> words_of(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> w;
  for (std::string x; in >> x;) w.push_back(x);
  return w;
}

// The layouts of `count` objects this world can draw.
std::vector<Layout> feasible_layouts(const World& w, int count) {
  std::vector<Layout> out;
  if (count == 3 && !has(w.sizes, Size::small)) return out;
  for (const Layout& l : layouts(count)) {
    bool ok = true;
    for (Position p : l) ok = ok && has(w.positions, p);
    if (ok) out.push_back(l);
  }
  return out;
}

Object random_object(const World& w, Rng& rng, bool heldout_pair, Split split) {
  Object o;
  if (heldout_pair) {
    std::vector<ShapeColor> pool;
    for (const ShapeColor& sc : w.heldout_combos)
      if (has(w.shapes, sc.shape) && has(w.colors, sc.color)) pool.push_back(sc);
    LINCIR_CHECK(!pool.empty(), "World: Split::heldout needs a held-out pair in the vocabulary");
    const ShapeColor& sc = rng.pick(pool);
    o.shape = sc.shape;
    o.color = sc.color;
  } else {
    do {  // rejection keeps training pairs uniform; validate() guarantees one exists
      o.shape = rng.pick(w.shapes);
      o.color = rng.pick(w.colors);
    } while (split == Split::train && w.is_heldout(o));
  }
  o.size = rng.pick(w.sizes);
  return o;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Scene

std::string Scene::key() const {
  std::string k = std::string(to_string(background)) + " " + to_string(texture);
  for (const Object& o : objects) {
    k += " | ";
    k += to_string(o.size);
    k += ' ';
    k += to_string(o.color);
    k += ' ';
    k += to_string(o.shape);
    k += ' ';
    k += to_string(o.position);
  }
  return k;
}

void canonicalize(Scene& s) {
  std::stable_sort(s.objects.begin(), s.objects.end(),
                   [](const Object& a, const Object& b) { return a.position < b.position; });
}

std::string scene_problem(const Scene& s) {
  const int n = int(s.objects.size());
  if (n < 1 || n > 3) return "a scene has 1 to 3 objects, not " + std::to_string(n);
  if (int(s.background) >= kNumBackgrounds) return "invalid background";
  if (int(s.texture) >= kNumTextures) return "invalid texture";
  for (const Object& o : s.objects) {
    if (int(o.shape) >= kNumShapes || int(o.color) >= kNumColors || int(o.size) >= kNumSizes ||
        int(o.position) >= kNumPositions)
      return "invalid object attribute";
  }
  for (int i = 1; i < n; ++i)
    if (!(s.objects[i - 1].position < s.objects[i].position))
      return "objects are not in canonical order or share a position";
  bool layout_ok = false;
  for (const Layout& l : layouts(n)) {
    std::vector<Position> sorted = l;
    std::sort(sorted.begin(), sorted.end());
    bool eq = true;
    for (int i = 0; i < n; ++i) eq = eq && s.objects[i].position == sorted[i];
    layout_ok = layout_ok || eq;
  }
  if (!layout_ok)
    return n == 2 ? "two objects must be left/right or top/bottom"
                  : "three objects must be left/center/right or top/center/bottom";
  if (n == 3)
    for (const Object& o : s.objects)
      if (o.size != Size::small) return "three-object scenes hold small objects only";
  return {};
}

void validate_scene(const Scene& s) {
  std::string why = scene_problem(s);
  LINCIR_CHECK(why.empty(), "invalid scene '" + s.key() + "': " + why);
}

Scene parse_scene_key(const std::string& key) {
  std::vector<std::string> parts = split_on(key, " | ");
  LINCIR_CHECK(parts.size() >= 2, "scene key '" + key + "': expected 'background texture | ...'");
  Scene s;
  std::vector<std::string> head = words_of(parts[0]);
  LINCIR_CHECK(head.size() == 2, "scene key '" + key + "': bad background part");
  s.background = parse_background(head[0]);
  s.texture = parse_texture(head[1]);
  for (size_t i = 1; i < parts.size(); ++i) {
    std::vector<std::string> w = words_of(parts[i]);
    LINCIR_CHECK(w.size() == 4, "scene key '" + key + "': object '" + parts[i] +
                                    "' is not 'size colour shape position'");
    s.objects.push_back(
        {parse_shape(w[2]), parse_color(w[1]), parse_size(w[0]), parse_position(w[3])});
  }
  validate_scene(s);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Edits

Scene apply_change(const Scene& s, const Change& c) {
  validate_scene(s);
  Scene t = s;
  const int n = int(s.objects.size());
  auto need_object = [&]() {
    LINCIR_CHECK(c.object >= 0 && c.object < n, std::string("change '") + to_string(c.kind) +
                                                    "': object index " + std::to_string(c.object) +
                                                    " out of range for '" + s.key() + "'");
    return &t.objects[c.object];
  };
  auto need_value = [&](int limit, int current) {
    LINCIR_CHECK(c.value >= 0 && c.value < limit,
                 std::string("change '") + to_string(c.kind) + "': invalid value");
    LINCIR_CHECK(c.value != current, std::string("change '") + to_string(c.kind) +
                                         "': new value equals the current one in '" + s.key() +
                                         "'");
  };
  switch (c.kind) {
    case ChangeKind::color: {
      Object* o = need_object();
      need_value(kNumColors, int(o->color));
      o->color = Color(c.value);
      break;
    }
    case ChangeKind::shape: {
      Object* o = need_object();
      need_value(kNumShapes, int(o->shape));
      o->shape = Shape(c.value);
      break;
    }
    case ChangeKind::size: {
      Object* o = need_object();
      need_value(kNumSizes, int(o->size));
      o->size = Size(c.value);
      break;
    }
    case ChangeKind::position: {
      Object* o = need_object();
      need_value(kNumPositions, int(o->position));
      o->position = Position(c.value);
      break;
    }
    case ChangeKind::background:
      need_value(kNumBackgrounds, int(s.background));
      t.background = Background(c.value);
      break;
    case ChangeKind::texture:
      need_value(kNumTextures, int(s.texture));
      t.texture = Texture(c.value);
      break;
    case ChangeKind::add:
      LINCIR_CHECK(n < 3, "change 'add': scene '" + s.key() + "' is full");
      t.objects.push_back(c.added);
      break;
    case ChangeKind::remove:
      need_object();
      LINCIR_CHECK(n > 1, "change 'remove': cannot remove the only object of '" + s.key() + "'");
      t.objects.erase(t.objects.begin() + c.object);
      break;
  }
  canonicalize(t);
  std::string why = scene_problem(t);
  LINCIR_CHECK(why.empty(), std::string("change '") + to_string(c.kind) + "' on '" + s.key() +
                                "' gives an invalid scene: " + why);
  return t;
}

Scene apply_changes(const Scene& s, const std::vector<Change>& changes) {
  Scene t = s;
  for (const Change& c : changes) t = apply_change(t, c);
  return t;
}

// ---------------------------------------------------------------------------------------------
// World

World World::standard() {
  World w;
  w.shapes = {Shape::circle, Shape::square,  Shape::triangle, Shape::star,
              Shape::cross,  Shape::diamond, Shape::ring};
  w.colors = {Color::red,    Color::green,  Color::blue, Color::yellow,
              Color::purple, Color::orange, Color::cyan, Color::pink};
  w.sizes = {Size::small, Size::large};
  w.positions = {Position::left, Position::right, Position::top, Position::bottom,
                 Position::center};
  w.backgrounds = {Background::black, Background::gray, Background::brown, Background::navy};
  w.textures = {Texture::plain};
  w.heldout_combos = {{Shape::star, Color::purple},
                      {Shape::circle, Color::cyan},
                      {Shape::triangle, Color::pink},
                      {Shape::diamond, Color::red},
                      {Shape::ring, Color::yellow}};
  return w;
}

World World::rich() {
  World w = standard();
  w.shapes.clear();
  for (int i = 0; i < kNumShapes; ++i) w.shapes.push_back(Shape(i));
  w.colors.clear();
  for (int i = 0; i < kNumColors; ++i) w.colors.push_back(Color(i));
  w.backgrounds.clear();
  for (int i = 0; i < kNumBackgrounds; ++i) w.backgrounds.push_back(Background(i));
  w.textures = {Texture::plain, Texture::stripes, Texture::dots};
  w.heldout_combos.push_back({Shape::heart, Color::white});
  return w;
}

void World::validate() const {
  check_list(shapes, kNumShapes, "shape");
  check_list(colors, kNumColors, "colour");
  check_list(sizes, kNumSizes, "size");
  check_list(positions, kNumPositions, "position");
  check_list(backgrounds, kNumBackgrounds, "background");
  check_list(textures, kNumTextures, "texture");
  double total = 0.0;
  for (double p : count_weights) {
    LINCIR_CHECK(p >= 0.0, "World: negative count weight");
    total += p;
  }
  LINCIR_CHECK(total > 0.0, "World: count weights are all zero");
  for (const ShapeColor& sc : heldout_combos)
    LINCIR_CHECK(has(shapes, sc.shape) && has(colors, sc.color),
                 std::string("World: held-out pair '") + to_string(sc.color) + " " +
                     to_string(sc.shape) + "' is not in the vocabulary");
  for (Shape s : shapes) {
    bool ok = false;
    for (Color c : colors) ok = ok || !is_heldout(Object{s, c, Size::small, Position::center});
    LINCIR_CHECK(ok,
                 std::string("World: every pair with shape '") + to_string(s) + "' is held out");
  }
  for (Color c : colors) {
    bool ok = false;
    for (Shape s : shapes) ok = ok || !is_heldout(Object{s, c, Size::small, Position::center});
    LINCIR_CHECK(ok,
                 std::string("World: every pair with colour '") + to_string(c) + "' is held out");
  }
}

bool World::is_heldout(const Object& o) const {
  for (const ShapeColor& sc : heldout_combos)
    if (sc.shape == o.shape && sc.color == o.color) return true;
  return false;
}

bool World::has_heldout(const Scene& s) const {
  for (const Object& o : s.objects)
    if (is_heldout(o)) return true;
  return false;
}

bool World::contains(const Scene& s) const {
  if (!scene_problem(s).empty()) return false;
  if (!has(backgrounds, s.background) || !has(textures, s.texture)) return false;
  for (const Object& o : s.objects)
    if (!has(shapes, o.shape) || !has(colors, o.color) || !has(sizes, o.size) ||
        !has(positions, o.position))
      return false;
  return true;
}

bool World::allows(const Scene& s, Split split) const {
  if (!contains(s)) return false;
  switch (split) {
    case Split::train:
      return !has_heldout(s);
    case Split::heldout:
      return has_heldout(s);
    case Split::all:
      return true;
  }
  return false;
}

Scene World::sample(Rng& rng, Split split) const {
  double w[3];
  double total = 0.0;
  for (int c = 1; c <= 3; ++c) {
    w[c - 1] = feasible_layouts(*this, c).empty() ? 0.0 : count_weights[c - 1];
    total += w[c - 1];
  }
  LINCIR_CHECK(total > 0.0, "World::sample: no object count is possible");
  double u = rng.uniform() * total;
  int count = 3;
  for (int c = 1; c <= 3; ++c) {
    if (u < w[c - 1]) {
      count = c;
      break;
    }
    u -= w[c - 1];
  }
  while (w[count - 1] <= 0.0) --count;  // guards the rounding edge u == total
  return sample(rng, count, split);
}

Scene World::sample(Rng& rng, int count, Split split) const {
  std::vector<Layout> ls = feasible_layouts(*this, count);
  LINCIR_CHECK(!ls.empty(),
               "World::sample: this world cannot hold " + std::to_string(count) + " objects");
  const Layout& layout = rng.pick(ls);
  const int heldout_slot = split == Split::heldout ? int(rng.below(uint32_t(count))) : -1;
  Scene s;
  for (int i = 0; i < count; ++i) {
    Object o = random_object(*this, rng, i == heldout_slot, split);
    if (count == 3) o.size = Size::small;
    o.position = layout[i];
    s.objects.push_back(o);
  }
  s.background = rng.pick(backgrounds);
  s.texture = rng.pick(textures);
  canonicalize(s);
  return s;
}

std::vector<Scene> World::single_object_scenes(Split split) const {
  std::vector<Scene> out;
  for (Background b : backgrounds)
    for (Texture t : textures)
      for (Shape sh : shapes)
        for (Color c : colors)
          for (Size z : sizes)
            for (Position p : positions) {
              Scene s;
              s.background = b;
              s.texture = t;
              s.objects = {Object{sh, c, z, p}};
              if (allows(s, split)) out.push_back(std::move(s));
            }
  return out;
}

std::vector<Scene> World::neighbors(const Scene& s, Split split) const {
  validate_scene(s);
  std::vector<Scene> out;
  std::set<std::string> seen{s.key()};
  auto offer = [&](Scene t) {
    canonicalize(t);
    if (!allows(t, split)) return;
    if (seen.insert(t.key()).second) out.push_back(std::move(t));
  };
  const int n = int(s.objects.size());
  for (int i = 0; i < n; ++i) {
    for (Shape x : shapes) {
      Scene t = s;
      t.objects[i].shape = x;
      offer(t);
    }
    for (Color x : colors) {
      Scene t = s;
      t.objects[i].color = x;
      offer(t);
    }
    for (Size x : sizes) {
      Scene t = s;
      t.objects[i].size = x;
      offer(t);
    }
  }
  if (n == 1) {
    for (Position p : positions) {
      Scene t = s;
      t.objects[0].position = p;
      offer(t);
    }
  } else if (n == 2) {
    Scene swapped = s;  // the two objects trade places
    std::swap(swapped.objects[0].position, swapped.objects[1].position);
    offer(swapped);
    Scene flipped = s;  // left/right <-> top/bottom, order kept
    for (Object& o : flipped.objects) {
      switch (o.position) {
        case Position::left:
          o.position = Position::top;
          break;
        case Position::right:
          o.position = Position::bottom;
          break;
        case Position::top:
          o.position = Position::left;
          break;
        case Position::bottom:
          o.position = Position::right;
          break;
        case Position::center:
          break;
      }
    }
    offer(flipped);
  }
  for (Background b : backgrounds) {
    Scene t = s;
    t.background = b;
    offer(t);
  }
  for (Texture x : textures) {
    Scene t = s;
    t.texture = x;
    offer(t);
  }
  if (n > 1) {
    for (int i = 0; i < n; ++i) {
      Scene t = s;
      t.objects.erase(t.objects.begin() + i);
      offer(t);
    }
  }
  return out;
}

}  // namespace lincir::synth
