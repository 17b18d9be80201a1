// Bad use of the C++ API (docs/errors.md): every error class that a CPU-only machine can
// trigger, through the public API, with the status and a message naming the object involved.
// NULL pointers, wrong dimensions, wrong dtype, model/φ dimension mismatch, empty gallery, k
// larger than the gallery, unreadable paths and files of the wrong kind.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "lincir/captions.hpp"
#include "lincir/clip.hpp"
#include "lincir/composer.hpp"
#include "lincir/gallery.hpp"
#include "lincir/image.hpp"
#include "lincir/projector.hpp"
#include "lincir/safetensors.hpp"
#include "lincir/tokenizer.hpp"
#include "lincir/trainer.hpp"
#include "support/test_support.hpp"

namespace {

using namespace lincir;
using test::data_path;

// Runs `f`, which must throw lincir::Error with `status` and a message containing `needle`.
void expect_error(Status status, const std::string& needle, const std::function<void()>& f,
                  const std::string& what) {
  SCOPED_TRACE(what);
  try {
    f();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), status) << status_str(e.status()) << ": " << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
        << "message '" << e.what() << "' does not mention '" << needle << "'";
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a lincir::Error: " << e.what();
  }
}

const ClipModel& clip() {
  static const ClipModel m = [] {
    ClipLoadOptions lo;
    lo.config_path = data_path("parity/model_config.json");
    return ClipModel::load(data_path("parity/weights_openai.safetensors"), lo);
  }();
  return m;
}

std::string parity(const std::string& f) { return data_path("parity/" + f); }
const std::string kMissing = "/nonexistent/lincir/file";

TEST(BadUse, StatusNamesAndValuesAreStable) {
  EXPECT_EQ(int(Status::invalid_argument), -1);
  EXPECT_EQ(int(Status::io), -2);
  EXPECT_EQ(int(Status::format), -3);
  EXPECT_EQ(int(Status::out_of_memory), -4);
  EXPECT_EQ(int(Status::device), -5);
  EXPECT_EQ(int(Status::unsupported), -6);
  EXPECT_EQ(int(Status::cancelled), -7);
  EXPECT_EQ(int(Status::internal), -99);
  EXPECT_STREQ(status_str(Status::format), "bad file format");
  EXPECT_STREQ(status_str(static_cast<Status>(12345)), "unknown status");
}

TEST(BadUse, NullPointersAndBadSizes) {
  expect_error(Status::invalid_argument, "null", [] { Image::decode(nullptr, 10); }, "decode NULL");
  expect_error(Status::invalid_argument, "", [] { Image::from_pixels(nullptr, 2, 2, 3); }, "from_pixels NULL");
  const uint8_t px[12] = {};
  expect_error(Status::invalid_argument, "", [&] { Image::from_pixels(px, 2, 2, 5); }, "5 channels");
  expect_error(Status::invalid_argument, "", [&] { Image::from_pixels(px, 2, 2, 3, 2); }, "stride < row");
  expect_error(Status::invalid_argument, "", [&] { Image::from_pixels(px, -2, 2, 3); }, "negative width");
  expect_error(Status::invalid_argument, "null", [] { SafeTensors::from_bytes(nullptr, 8); }, "safetensors NULL");
  expect_error(Status::invalid_argument, "context", [] { Tokenizer().tokenize("a", 1); }, "context 1");
  expect_error(Status::invalid_argument, "", [] { Tokenizer().tokenize(std::string(500, 'a') + " b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k l m n o p q r s t u v w x y z", 77, false); }, "too long");
  expect_error(Status::invalid_argument, "", [] { Tokenizer().decode({-1}); }, "id -1");
  expect_error(Status::invalid_argument, "", [] { Tokenizer().decode({49408}); }, "id 49408");
  expect_error(Status::invalid_argument, "", [] { Device::parse("gpu"); }, "device name");
  expect_error(Status::invalid_argument, "", [] { parse_projector_kind("phi"); }, "kind name");
  expect_error(Status::invalid_argument, "", [] { Gallery(0); }, "gallery dim 0");
  expect_error(Status::invalid_argument, "", [] { Gallery(65537); }, "gallery dim 65537");
  expect_error(Status::invalid_argument, "", [] {
    ProjectorConfig c;
    c.input_dim = 0;
    Projector p(c);
  }, "projector input 0");
}

TEST(BadUse, WrongDimensions) {
  Gallery g(8);
  Embeddings five(2, 5);
  five.setOnes();
  expect_error(Status::invalid_argument, "", [&] { g.add(five, {1, 2}); }, "add 5 columns to dim 8");
  Embeddings eight = Embeddings::Ones(2, 8);
  expect_error(Status::invalid_argument, "", [&] { g.add(eight, {1}); }, "ids count");
  expect_error(Status::invalid_argument, "", [&] { g.add(eight, {1, 1}); }, "duplicate id");
  expect_error(Status::invalid_argument, "", [&] { g.add(eight, {1, -2}); }, "negative id");
  Embeddings nan = eight;
  nan(1, 3) = std::numeric_limits<float>::quiet_NaN();
  expect_error(Status::invalid_argument, "", [&] { g.add(nan, {1, 2}); }, "NaN");
  expect_error(Status::invalid_argument, "", [&] { g.add(Embeddings::Zero(1, 8), {1}); }, "zero norm");
  EXPECT_EQ(g.size(), 0u) << "a failed add must leave the gallery unchanged";
  g.add(eight, {1, 2});
  expect_error(Status::invalid_argument, "", [&] { g.search(five, 3); }, "query 5 columns");
  expect_error(Status::invalid_argument, "", [&] { g.search(eight, 0); }, "k = 0");
  expect_error(Status::invalid_argument, "", [&] { g.id(2); }, "position 2 of 2");
  expect_error(Status::invalid_argument, "", [&] { g.name_of(77); }, "unknown id");

  Projector phi(ProjectorConfig{});  // 768 -> 768
  expect_error(Status::invalid_argument, "", [&] { phi.forward(Embeddings::Ones(1, 64)); }, "φ input 64");
  expect_error(Status::invalid_argument, "", [] { clip().encode_tokens(nullptr, 1, 77); }, "tokens NULL");
}

TEST(BadUse, ModelAndProjectorDimensionMismatch) {
  // The parity CLIP: embed 64, text width 32. A default φ is 768 -> 768.
  expect_error(Status::invalid_argument, "", [] { Composer(clip(), Projector(ProjectorConfig{})); },
               "composer with a 768-d φ");
  ProjectorConfig half;
  half.input_dim = 64;
  half.output_dim = 64;  // text width is 32
  expect_error(Status::invalid_argument, "", [&] { Composer(clip(), Projector(half)); },
               "φ output 64 vs text width 32");
  ProjectorLoadOptions o;
  o.expect_input_dim = 768;
  expect_error(Status::invalid_argument, parity("phi_weights.safetensors"),
               [&] { Projector::load(parity("phi_weights.safetensors"), o); }, "expect_input_dim");
  Projector wrong(ProjectorConfig{});
  expect_error(Status::invalid_argument, "", [&] { Trainer(clip(), TrainerOptions{}, &wrong); },
               "trainer init φ of the wrong size");
  // The composer checks the marker and the texts.
  Composer c(clip(), Projector::load(parity("phi_weights.safetensors")));
  Embeddings ref = Embeddings::Ones(1, 64);
  expect_error(Status::invalid_argument, "", [&] { c.compose_embeddings(ref, {"no marker here"}); },
               "text without $");
  expect_error(Status::invalid_argument, "", [&] { c.compose_embeddings(Embeddings::Ones(1, 63), {"a $"}); },
               "63-d reference");
  expect_error(Status::invalid_argument, "", [&] { c.compose_embeddings(ref, {"a $", "b $"}); },
               "2 texts for 1 reference... (allowed only as 1 text for n refs)");
}

TEST(BadUse, WrongDtype) {
  test::TempDir dir;
  const float f[2] = {1.f, 2.f};
  save_safetensors(dir.file("f.safetensors"), {{"x", TensorDType::F32, {2}, f}});
  auto st = SafeTensors::open(dir.file("f.safetensors"));
  expect_error(Status::invalid_argument, "not an integer", [&] { st.to_int64("x"); }, "F32 as int64");
  expect_error(Status::invalid_argument, "'y'", [&] { st.get("y"); }, "unknown tensor");
  ClipLoadOptions lo;
  lo.config_path = parity("model_config.json");
  lo.dtype = DType::float16;
  expect_error(Status::unsupported, "", [&] { ClipModel::load(parity("weights_openai.safetensors"), lo); },
               "float16 on the CPU");
}

TEST(BadUse, EmptyGalleryAndKLargerThanGalleryArePadded) {
  Gallery g(4);
  const Embeddings q = Embeddings::Ones(2, 4);
  SearchResult r = g.search(q, 3);
  ASSERT_EQ(r.ids.rows(), 2);
  ASSERT_EQ(r.ids.cols(), 3);
  for (int j = 0; j < 3; ++j) {
    EXPECT_EQ(r.ids(0, j), -1);
    EXPECT_TRUE(std::isinf(r.scores(0, j)) && r.scores(0, j) < 0);
  }
  g.add(Embeddings::Ones(1, 4), {42});
  r = g.search(q, 5);
  EXPECT_EQ(r.ids(1, 0), 42);
  EXPECT_NEAR(r.scores(1, 0), 1.f, 1e-6);
  for (int j = 1; j < 5; ++j) EXPECT_EQ(r.ids(1, j), -1);
}

TEST(BadUse, UnreadablePaths) {
  test::TempDir dir;
  expect_error(Status::io, kMissing, [] { Image::load(kMissing); }, "image");
  expect_error(Status::io, kMissing, [] { SafeTensors::open(kMissing); }, "safetensors");
  expect_error(Status::io, kMissing, [] { Gallery::load(kMissing); }, "gallery");
  expect_error(Status::io, kMissing, [] { Projector::load(kMissing); }, "φ");
  expect_error(Status::io, kMissing, [] { ClipModel::load(kMissing); }, "clip");
  expect_error(Status::io, kMissing, [] { CaptionStream s(kMissing); }, "captions");
  expect_error(Status::io, "", [] { Tokenizer::from_file(kMissing); }, "merges");
  expect_error(Status::io, dir.path(), [&] { SafeTensors::open(dir.path()); }, "a directory");
  Trainer t(clip(), TrainerOptions{});
  expect_error(Status::io, kMissing, [&] { t.load_checkpoint(kMissing); }, "checkpoint");
  // Writes into a missing directory fail with io and leave nothing behind.
  Gallery g(4);
  expect_error(Status::io, "/nonexistent/", [&] { g.save("/nonexistent/dir/g.lcg"); }, "gallery save");
  expect_error(Status::io, "/nonexistent/", [] { Projector(ProjectorConfig{}).save("/nonexistent/p.safetensors"); },
               "φ save");
  expect_error(Status::io, "/nonexistent/", [&] { t.save_checkpoint("/nonexistent/c.ckpt"); }, "checkpoint save");
}

TEST(BadUse, FilesOfTheWrongKind) {
  test::TempDir dir;
  const std::string png = data_path("images/formats/rgb16.png");
  const std::string json = parity("model_config.json");
  const std::string phi = parity("phi_weights.safetensors");
  Gallery g(4);
  g.add(Embeddings::Ones(1, 4), {1});
  const std::string gal = dir.file("g.lcg");
  g.save(gal);
  expect_error(Status::format, png, [&] { Gallery::load(png); }, "PNG as gallery");
  expect_error(Status::format, phi, [&] { Gallery::load(phi); }, "φ as gallery");
  expect_error(Status::format, png, [&] { Projector::load(png); }, "PNG as φ");
  expect_error(Status::format, gal, [&] { Projector::load(gal); }, "gallery as φ");
  expect_error(Status::format, json, [&] { SafeTensors::open(json); }, "JSON as safetensors");
  expect_error(Status::format, gal, [&] { Image::load(gal); }, "gallery as image");
  expect_error(Status::format, json, [&] { Image::load(json); }, "JSON as image");
  ClipLoadOptions lo;
  lo.config_path = json;
  expect_error(Status::format, "", [&] { ClipModel::load(phi, lo); }, "φ as CLIP weights");
  Trainer t(clip(), TrainerOptions{});
  expect_error(Status::format, phi, [&] { t.load_checkpoint(phi); }, "φ as trainer checkpoint");
  // A checkpoint is a safetensors file, but not a φ.
  t.save_checkpoint(dir.file("c.ckpt"));
  expect_error(Status::format, "", [&] { Projector::load(dir.file("c.ckpt")); }, "checkpoint as φ");
  // Empty files.
  test::write_bytes(dir.file("empty"), {});
  expect_error(Status::format, "", [&] { Gallery::load(dir.file("empty")); }, "empty gallery file");
  expect_error(Status::format, "", [&] { Projector::load(dir.file("empty")); }, "empty φ file");
  expect_error(Status::format, "", [&] { Image::load(dir.file("empty")); }, "empty image file");
}

TEST(BadUse, ChecksumsOfSafetensorsFilesAreVerified) {
  test::TempDir dir;
  std::vector<float> w(1000);
  for (size_t i = 0; i < w.size(); ++i) w[i] = float(i) * 0.5f;
  const std::string p = dir.file("w.safetensors");
  save_safetensors(p, {{"w", TensorDType::F32, {1000}, w.data()}}, {{"note", "x"}});
  auto st = SafeTensors::open(p);
  EXPECT_EQ(st.metadata().size(), 1u) << "the checksum entry is not user metadata";
  EXPECT_EQ(st.to_float("w"), w);
  auto bytes = test::read_bytes(p);
  const std::string header(bytes.begin() + 8, bytes.begin() + 8 + 200);
  EXPECT_NE(header.find("\"lincir.crc32\""), std::string::npos);
  bytes[bytes.size() - 1] ^= 0x80;
  test::write_bytes(p, bytes);
  expect_error(Status::format, "checksum mismatch", [&] { SafeTensors::open(p); }, "flipped bit");
  expect_error(Status::format, "checksum mismatch",
               [&] { SafeTensors::from_bytes(bytes.data(), bytes.size(), "buf"); }, "from_bytes");
}

TEST(BadUse, UnsupportedInputs) {
  test::TempDir dir;
  // The legacy (pre-1.6) torch.save format: a bare pickle stream.
  test::write_bytes(dir.file("legacy.pt"), {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9,
                                            0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e});
  expect_error(Status::unsupported, "legacy", [&] { Projector::load(dir.file("legacy.pt")); },
               "legacy torch.save");
  if (!Gallery::faiss_available()) {
    GalleryOptions o;
    o.index.backend = GalleryBackend::faiss_flat;
    expect_error(Status::unsupported, "", [&] { Gallery(4, o); }, "faiss without faiss");
  }
  // An RLE-compressed BMP (BI_RLE8): 1x1, 8-bit, compression 1.
  std::vector<uint8_t> bmp(14 + 40 + 4 * 256 + 4, 0);
  bmp[0] = 'B';
  bmp[1] = 'M';
  const uint32_t off = 14 + 40 + 1024;
  auto le32 = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) bmp[at + i] = uint8_t(v >> (8 * i));
  };
  le32(2, uint32_t(bmp.size()));
  le32(10, off);
  le32(14, 40);
  le32(18, 1);
  le32(22, 1);
  bmp[26] = 1;
  bmp[28] = 8;
  le32(30, 1);  // BI_RLE8
  le32(34, 4);
  bmp[off] = 1;  // one pixel of colour 0, then end of bitmap
  bmp[off + 2] = 0;
  bmp[off + 3] = 1;
  expect_error(Status::unsupported, "", [&] { Image::decode(bmp.data(), bmp.size()); }, "RLE BMP");
}

TEST(BadUse, DeviceUnavailable) {
  // No build has a thousand GPUs: CUDA device 999 is unavailable everywhere (no CUDA at all on a
  // CPU-only build, an ordinal beyond the count otherwise).
  Projector phi(ProjectorConfig{});
  expect_error(Status::device, "", [&] { phi.to(Device::cuda(999)); }, "φ to cuda:999");
  ClipLoadOptions lo;
  lo.config_path = parity("model_config.json");
  lo.device = Device::cuda(999);
  expect_error(Status::device, "", [&] { ClipModel::load(parity("weights_openai.safetensors"), lo); },
               "CLIP on cuda:999");
}

TEST(BadUse, LimitsAreRejectedBeforeDecoding) {
  const auto png = test::read_bytes(data_path("images/formats/rgb16.png"));
  DecodeLimits l;
  l.max_side = 2;
  expect_error(Status::invalid_argument, "limit", [&] { Image::decode(png.data(), png.size(), l); },
               "max_side");
  l = DecodeLimits{};
  l.max_pixels = 3;
  expect_error(Status::invalid_argument, "limit", [&] { Image::decode(png.data(), png.size(), l); },
               "max_pixels");
  l = DecodeLimits{};
  l.max_encoded_bytes = 10;
  expect_error(Status::invalid_argument, "limit", [&] { Image::decode(png.data(), png.size(), l); },
               "max_encoded_bytes");
  l = DecodeLimits{};
  l.max_side = 0;
  expect_error(Status::invalid_argument, "max_side", [&] { Image::decode(png.data(), png.size(), l); },
               "invalid limits");
}

TEST(BadUse, TrainerStopIsReportedNotThrown) {
  test::TempDir dir;
  test::write_bytes(dir.file("c.txt"), {'a', ' ', 'c', 'a', 't', '\n', 'a', ' ', 'd', 'o', 'g', '\n'});
  TrainerOptions o;
  o.steps = 5;
  o.batch_size = 2;
  o.mask_mode = MaskMode::whole_caption;
  Trainer t(clip(), o);
  TrainerCallbacks cb;
  cb.on_step = [](const TrainerProgress& p) { return p.step < 2; };
  const FitResult r = t.fit(dir.file("c.txt"), cb);
  EXPECT_TRUE(r.cancelled);
  EXPECT_EQ(r.steps, 2);
  expect_error(Status::format, "", [&] {
    test::write_bytes(dir.file("bad.jsonl"), {'{', '\n', '[', ']', '\n'});
    Trainer t2(clip(), o);
    t2.fit(dir.file("bad.jsonl"));
  }, "a corpus without one valid caption");
}

}  // namespace
