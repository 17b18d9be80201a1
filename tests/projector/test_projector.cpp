#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>

#include <torch/cuda.h>

#include "lincir/projector.hpp"
#include "lincir/safetensors.hpp"
#include "projector/phi_module.hpp"
#include "support/test_support.hpp"

using namespace lincir;
using lincir::test::data_path;

namespace {

Embeddings load_matrix(const SafeTensors& st, const std::string& name) {
  const auto& v = st.get(name);
  EXPECT_EQ(v.shape.size(), 2u) << name;
  auto values = st.to_float(name);
  Embeddings m(v.shape[0], v.shape[1]);
  std::memcpy(m.data(), values.data(), values.size() * sizeof(float));
  return m;
}

float max_diff(const Embeddings& a, const Embeddings& b) {
  EXPECT_EQ(a.rows(), b.rows());
  EXPECT_EQ(a.cols(), b.cols());
  if (a.rows() != b.rows() || a.cols() != b.cols()) return INFINITY;
  return (a - b).cwiseAbs().maxCoeff();
}

Status load_status(const std::string& path, const ProjectorLoadOptions& o = {},
                   std::string* msg = nullptr) {
  try {
    Projector::load(path, o);
  } catch (const Error& e) {
    if (msg) *msg = e.what();
    return e.status();
  }
  return Status::ok;
}

const std::string kPhiWeights = "parity/phi_weights.safetensors";
const std::string kPhiOfficial = "parity/torch_formats/phi_official_layout.pt";

}  // namespace

TEST(Projector, KindNames) {
  for (auto k : {ProjectorKind::lincir, ProjectorKind::searle, ProjectorKind::pic2word})
    EXPECT_EQ(parse_projector_kind(projector_kind_name(k)), k);
  EXPECT_THROW(parse_projector_kind("phi"), Error);
}

TEST(Projector, MatchesReferencePhiOutputs) {
  auto phi = Projector::load(data_path(kPhiWeights));
  EXPECT_EQ(phi.kind(), ProjectorKind::lincir);
  EXPECT_EQ(phi.input_dim(), 64);
  EXPECT_EQ(phi.config().hidden_dim, 256);
  EXPECT_EQ(phi.output_dim(), 32);
  auto ref = SafeTensors::open(data_path("parity/phi_outputs.safetensors"));
  Embeddings x = load_matrix(ref, "phi_input");
  Embeddings y = phi.forward(x);
  EXPECT_LT(max_diff(y, load_matrix(ref, "phi_output")), 1e-5f);
  // The end-to-end rows: image features -> pseudo tokens.
  EXPECT_LT(max_diff(phi.forward(load_matrix(ref, "e2e.image_features")),
                     load_matrix(ref, "e2e.pseudo_tokens")),
            1e-5f);
  // Rows are independent: one row alone gives the same values.
  Embeddings one = phi.forward(x.row(5));
  EXPECT_LT((one.row(0) - y.row(5)).cwiseAbs().maxCoeff(), 1e-6f);
}

TEST(Projector, OfficialTorchCheckpointGivesIdenticalOutputs) {
  auto st = Projector::load(data_path(kPhiWeights));
  auto pt = Projector::load(data_path(kPhiOfficial));
  EXPECT_EQ(pt.kind(), ProjectorKind::lincir);
  EXPECT_EQ(pt.input_dim(), 64);
  EXPECT_EQ(pt.output_dim(), 32);
  auto ref = SafeTensors::open(data_path("parity/phi_outputs.safetensors"));
  Embeddings x = load_matrix(ref, "phi_input");
  Embeddings a = st.forward(x), b = pt.forward(x);
  EXPECT_EQ(max_diff(a, b), 0.f);
  // Explicit container choice and SEARLE's kind (same layout, same network).
  auto searle = Projector::load_torch_checkpoint(data_path(kPhiOfficial),
                                                 {ProjectorKind::searle, "ViT-tiny", 64, 32});
  EXPECT_EQ(searle.kind(), ProjectorKind::searle);
  EXPECT_EQ(searle.config().backbone, "ViT-tiny");
  EXPECT_EQ(max_diff(searle.forward(x), a), 0.f);
}

TEST(Projector, CudaTaggedCheckpointLoadsOnCpu) {
  // Written by torch.save with every storage tagged 'cuda:0' (see make_fixtures.py).
  auto pt = Projector::load(data_path("projector/phi_cuda_location.pt"));
  auto st = Projector::load(data_path(kPhiWeights));
  EXPECT_EQ(pt.device().type, DeviceType::cpu);
  auto ref = SafeTensors::open(data_path("parity/phi_outputs.safetensors"));
  Embeddings x = load_matrix(ref, "phi_input");
  EXPECT_EQ(max_diff(pt.forward(x), st.forward(x)), 0.f);
}

TEST(Projector, Pic2WordCheckpointLayout) {
  auto p = Projector::load(data_path("projector/pic2word_layout.pt"));
  EXPECT_EQ(p.kind(), ProjectorKind::pic2word);
  EXPECT_EQ(p.input_dim(), 64);
  EXPECT_EQ(p.config().hidden_dim, 48);
  EXPECT_EQ(p.output_dim(), 32);
  EXPECT_FLOAT_EQ(p.config().dropout, 0.1f);
  auto ref = SafeTensors::open(data_path("projector/pic2word_outputs.safetensors"));
  EXPECT_LT(max_diff(p.forward(load_matrix(ref, "input")), load_matrix(ref, "output")), 1e-5f);
  // Asking for a Phi from an IM2TEXT checkpoint is a format error, not a silent reinterpretation.
  EXPECT_EQ(load_status(data_path("projector/pic2word_layout.pt"), {ProjectorKind::lincir, "", 0, 0}),
            Status::format);
}

TEST(Projector, SaveLoadRoundTrip) {
  lincir::test::TempDir dir;
  auto ref = SafeTensors::open(data_path("parity/phi_outputs.safetensors"));
  Embeddings x = load_matrix(ref, "phi_input");
  {
    auto phi = Projector::load(data_path(kPhiOfficial), {std::nullopt, "tiny-test-clip"});
    phi.set_training_step(1234);
    phi.save(dir.file("phi.safetensors"));
    auto back = Projector::load(dir.file("phi.safetensors"));
    EXPECT_EQ(back.kind(), ProjectorKind::lincir);
    EXPECT_EQ(back.config().backbone, "tiny-test-clip");
    EXPECT_EQ(back.training_step(), 1234);
    EXPECT_FLOAT_EQ(back.config().dropout, 0.5f);
    EXPECT_EQ(max_diff(back.forward(x), phi.forward(x)), 0.f);
    // The file itself: published key names, float32, metadata.
    auto st = SafeTensors::open(dir.file("phi.safetensors"));
    EXPECT_EQ(st.size(), 6u);
    for (const char* k : {"layers.0.weight", "layers.0.bias", "layers.3.weight", "layers.3.bias",
                          "layers.6.weight", "layers.6.bias"}) {
      ASSERT_TRUE(st.contains(k)) << k;
      EXPECT_EQ(st.get(k).dtype, TensorDType::F32);
    }
    EXPECT_EQ(st.get("layers.3.weight").shape, (std::vector<int64_t>{256, 256}));
    EXPECT_EQ(st.metadata().at("kind"), "lincir");
    EXPECT_EQ(st.metadata().at("input_dim"), "64");
    EXPECT_EQ(st.metadata().at("hidden_dim"), "256");
    EXPECT_EQ(st.metadata().at("output_dim"), "32");
    EXPECT_EQ(st.metadata().at("training_step"), "1234");
    EXPECT_EQ(st.metadata().at("format"), "lincir.projector");
    // Explicit step overrides.
    phi.save(dir.file("phi2.safetensors"), 99);
    EXPECT_EQ(Projector::load(dir.file("phi2.safetensors")).training_step(), 99);
  }
  {
    auto p = Projector::load(data_path("projector/pic2word_layout.pt"));
    p.save(dir.file("p2w.safetensors"));
    auto back = Projector::load(dir.file("p2w.safetensors"));
    EXPECT_EQ(back.kind(), ProjectorKind::pic2word);
    auto in = load_matrix(SafeTensors::open(data_path("projector/pic2word_outputs.safetensors")), "input");
    EXPECT_EQ(max_diff(back.forward(in), p.forward(in)), 0.f);
    auto st = SafeTensors::open(dir.file("p2w.safetensors"));
    EXPECT_TRUE(st.contains("fc_out.weight"));
    EXPECT_TRUE(st.contains("layers.1.0.bias"));
  }
  {
    // A searle projector keeps its kind through a file.
    Projector s({ProjectorKind::searle, 16, 0, 8, -1.f, "b"}, 3);
    s.save(dir.file("s.safetensors"));
    EXPECT_EQ(Projector::load(dir.file("s.safetensors")).kind(), ProjectorKind::searle);
  }
}

TEST(Projector, FreshInitIsSeededAndDefaultSized) {
  ProjectorConfig c;
  c.input_dim = 16;
  c.output_dim = 8;
  Projector a(c, 7), b(c, 7), d(c, 8);
  EXPECT_EQ(a.config().hidden_dim, 64);
  EXPECT_FLOAT_EQ(a.config().dropout, 0.5f);
  Embeddings x = Embeddings::Random(3, 16);
  EXPECT_EQ(max_diff(a.forward(x), b.forward(x)), 0.f);
  EXPECT_GT(max_diff(a.forward(x), d.forward(x)), 1e-4f);
  // nn.Linear's default bound 1/sqrt(fan_in).
  auto& m = ProjectorAccess::module(a);
  auto w = m->named_parameters()["layers.3.weight"];
  EXPECT_LE(w.abs().max().item<float>(), 1.f / 8.f);
  EXPECT_GT(w.abs().max().item<float>(), 0.9f / 8.f);
  ProjectorConfig p2w;
  p2w.kind = ProjectorKind::pic2word;
  p2w.input_dim = 16;
  p2w.output_dim = 8;
  Projector p(p2w);
  EXPECT_EQ(p.config().hidden_dim, 512);
  EXPECT_FLOAT_EQ(p.config().dropout, 0.1f);
  // A clone is independent and equal.
  Projector cl = a.clone();
  EXPECT_EQ(max_diff(cl.forward(x), a.forward(x)), 0.f);
}

TEST(Projector, InferenceNeverDropsButTrainingModeDoes) {
  auto phi = Projector::load(data_path(kPhiWeights));
  auto ref = SafeTensors::open(data_path("parity/phi_outputs.safetensors"));
  Embeddings x = load_matrix(ref, "phi_input");
  auto& m = ProjectorAccess::module(phi);
  m->train();
  // Projector::forward is inference whatever the module mode.
  EXPECT_LT(max_diff(phi.forward(x), load_matrix(ref, "phi_output")), 1e-5f);
  auto t = torch::from_blob(x.data(), {x.rows(), x.cols()}, torch::kFloat32);
  torch::manual_seed(0);
  auto y_train = m->forward(t);
  auto y_eval = m->infer(t);
  EXPECT_GT((y_train - y_eval).abs().max().item<float>(), 1e-3f);
  // Gradients reach the weights (the trainer relies on it).
  y_train.sum().backward();
  EXPECT_TRUE(m->named_parameters()["layers.0.weight"].grad().defined());
  m->eval();
  EXPECT_EQ((m->forward(t) - y_eval).abs().max().item<float>(), 0.f);
}

TEST(Projector, RejectsBadInput) {
  auto phi = Projector::load(data_path(kPhiWeights));
  Embeddings wrong(2, 63);
  wrong.setZero();
  try {
    phi.forward(wrong);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::invalid_argument);
  }
  EXPECT_EQ(phi.forward(Embeddings(0, 64)).rows(), 0);
  EXPECT_THROW(Projector(ProjectorConfig{ProjectorKind::lincir, 0, 0, 8, -1.f, ""}), Error);
  EXPECT_THROW(Projector(ProjectorConfig{ProjectorKind::lincir, 8, 0, 8, 1.f, ""}), Error);
}

TEST(Projector, DeviceSelection) {
  auto phi = Projector::load(data_path(kPhiWeights));
  EXPECT_EQ(phi.device().type, DeviceType::cpu);
  auto ref = SafeTensors::open(data_path("parity/phi_outputs.safetensors"));
  Embeddings x = load_matrix(ref, "phi_input");
  if (!torch::cuda::is_available()) {
    // A CPU-only build (Debian's LibTorch) reports the device, it does not crash.
    try {
      phi.to(Device::cuda(0));
      FAIL() << "moving to CUDA without CUDA must throw";
    } catch (const Error& e) {
      EXPECT_EQ(e.status(), Status::device);
    }
    EXPECT_EQ(phi.device().type, DeviceType::cpu);
  } else {
    phi.to(Device::cuda(0));
    EXPECT_EQ(phi.device().type, DeviceType::cuda);
    EXPECT_LT(max_diff(phi.forward(x), load_matrix(ref, "phi_output")), 1e-5f);
    EXPECT_EQ(phi.clone().device().type, DeviceType::cuda);
    phi.to(Device::cpu());
  }
  EXPECT_LT(max_diff(phi.forward(x), load_matrix(ref, "phi_output")), 1e-5f);
}

TEST(Projector, DimensionExpectations) {
  std::string msg;
  ProjectorLoadOptions o;
  o.expect_input_dim = 768;
  EXPECT_EQ(load_status(data_path(kPhiWeights), o, &msg), Status::invalid_argument);
  EXPECT_NE(msg.find("phi_weights.safetensors"), std::string::npos) << msg;
  EXPECT_NE(msg.find("768"), std::string::npos) << msg;
  o = {};
  o.expect_output_dim = 33;
  EXPECT_EQ(load_status(data_path(kPhiOfficial), o), Status::invalid_argument);
  o.expect_output_dim = 32;
  o.expect_input_dim = 64;
  EXPECT_EQ(load_status(data_path(kPhiOfficial), o), Status::ok);
}

TEST(Projector, RejectsBadFiles) {
  lincir::test::TempDir dir;
  EXPECT_EQ(load_status(dir.file("missing.pt")), Status::io);

  // Not a projector at all.
  lincir::test::write_bytes(dir.file("junk.bin"), {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  EXPECT_EQ(load_status(dir.file("junk.bin")), Status::format);
  EXPECT_EQ(load_status(data_path("parity/weights_openai.safetensors")), Status::format);

  // A legacy (non-zip) torch.save stream.
  lincir::test::write_bytes(dir.file("legacy.pt"), {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46});
  EXPECT_EQ(load_status(dir.file("legacy.pt")), Status::unsupported);

  // Tensor shapes that do not chain (layers.3 is [256,256], layers.6 expects [W,256]).
  auto src = SafeTensors::open(data_path(kPhiWeights));
  std::vector<std::vector<float>> keep;
  std::vector<TensorToWrite> tensors;
  for (const auto& name : src.names()) {
    keep.push_back(src.to_float(name));
    auto shape = src.get(name).shape;
    if (name == "layers.6.weight") shape = {32 * 2, 128};
    tensors.push_back({name, TensorDType::F32, shape, keep.back().data()});
  }
  save_safetensors(dir.file("badshape.safetensors"), tensors);
  std::string msg;
  EXPECT_EQ(load_status(dir.file("badshape.safetensors"), {}, &msg), Status::format);
  EXPECT_NE(msg.find("layers.6.weight"), std::string::npos) << msg;

  // Metadata that disagrees with the tensors.
  for (auto& t : tensors) t.shape = src.get(t.name).shape;
  save_safetensors(dir.file("badmeta.safetensors"), tensors,
                   {{"format", "lincir.projector"}, {"format_version", "1"}, {"input_dim", "65"}});
  EXPECT_EQ(load_status(dir.file("badmeta.safetensors"), {}, &msg), Status::format);
  EXPECT_NE(msg.find("input_dim"), std::string::npos) << msg;
  save_safetensors(dir.file("badver.safetensors"), tensors,
                   {{"format", "lincir.projector"}, {"format_version", "9"}});
  EXPECT_EQ(load_status(dir.file("badver.safetensors")), Status::unsupported);
  // Without metadata the plain state dict loads.
  save_safetensors(dir.file("plain.safetensors"), tensors);
  EXPECT_EQ(load_status(dir.file("plain.safetensors")), Status::ok);

  // A missing tensor.
  auto without = [&](const std::string& name) {
    std::vector<TensorToWrite> out;
    for (const auto& t : tensors)
      if (t.name != name) out.push_back(t);
    return out;
  };
  save_safetensors(dir.file("missing.safetensors"), without("layers.6.bias"));
  EXPECT_EQ(load_status(dir.file("missing.safetensors"), {}, &msg), Status::format);
  EXPECT_NE(msg.find("layers.6.bias"), std::string::npos) << msg;
  save_safetensors(dir.file("nokind.safetensors"), without("layers.6.weight"));
  EXPECT_EQ(load_status(dir.file("nokind.safetensors")), Status::format);

  // Non-finite weights.
  for (size_t i = 0; i < tensors.size(); ++i)
    if (tensors[i].name == "layers.3.weight") keep[i][5] = NAN;
  save_safetensors(dir.file("nan.safetensors"), tensors);
  EXPECT_EQ(load_status(dir.file("nan.safetensors"), {}, &msg), Status::format);
  EXPECT_NE(msg.find("layers.3.weight"), std::string::npos) << msg;
}

TEST(Projector, TruncatedOrCorruptedTorchArchivesFailCleanly) {
  lincir::test::TempDir dir;
  auto bytes = lincir::test::read_bytes(data_path(kPhiOfficial));
  // Truncations at many points, including inside the central directory and the data records.
  for (size_t cut : {size_t(10), size_t(100), size_t(600), bytes.size() / 2, bytes.size() - 300,
                     bytes.size() - 1}) {
    std::vector<uint8_t> b(bytes.begin(), bytes.begin() + static_cast<long>(cut));
    lincir::test::write_bytes(dir.file("cut.pt"), b);
    EXPECT_NE(load_status(dir.file("cut.pt")), Status::ok) << "cut at " << cut;
  }
  // Byte flips across the pickle and headers: loading either fails with an Error or (when the
  // flip hits weight bytes) succeeds; it must never crash.
  for (size_t pos = 0; pos < 1200; pos += 7) {
    auto b = bytes;
    b[pos] ^= 0x5a;
    lincir::test::write_bytes(dir.file("flip.pt"), b);
    (void)load_status(dir.file("flip.pt"));
  }
}

// Found by fuzzing: LibTorch's reader constructor leaks its miniz state when it rejects an archive
// that miniz opened (a version record miniz refuses to extract, a zip64 record of 0 entries). Each
// such archive must be rejected by lincir's own zip check, before LibTorch (these messages are
// lincir's).
TEST(Projector, ZipDefectsThatLeakInLibTorchAreRejectedBeforeIt) {
  lincir::test::TempDir dir;
  const auto bytes = lincir::test::read_bytes(data_path(kPhiOfficial));
  ASSERT_EQ(load_status(data_path(kPhiOfficial)), Status::ok);
  auto find_last = [&](const char* sig) {
    for (size_t i = bytes.size() - 4; i-- > 0;)
      if (std::memcmp(&bytes[i], sig, 4) == 0) return i;
    return std::string::npos;
  };
  // The central directory entry of the archive's version record.
  size_t entry = std::string::npos;
  for (size_t i = 0; i + 46 <= bytes.size(); ++i) {
    if (std::memcmp(&bytes[i], "PK\x01\x02", 4) != 0) continue;
    const size_t name_len = bytes[i + 28] | (size_t(bytes[i + 29]) << 8);
    const std::string name(reinterpret_cast<const char*>(&bytes[i + 46]), name_len);
    if (name.size() >= 8 && name.compare(name.size() - 8, 8, "/version") == 0) entry = i;
  }
  const size_t zip64 = find_last("PK\x06\x06");
  ASSERT_NE(entry, std::string::npos);
  ASSERT_NE(zip64, std::string::npos) << "torch.save writes zip64 end records";
  auto expect_rejected = [&](std::vector<uint8_t> b, const std::string& needle, const std::string& what) {
    lincir::test::write_bytes(dir.file("bad.pt"), b);
    std::string msg;
    EXPECT_EQ(load_status(dir.file("bad.pt"), {}, &msg), Status::format) << what;
    EXPECT_NE(msg.find(needle), std::string::npos) << what << ": " << msg;
  };
  for (uint8_t bit : {0x01, 0x20, 0x40}) {  // encrypted, patch data, strong encryption
    auto b = bytes;
    b[entry + 8] |= bit;
    expect_rejected(b, "encrypted or patch data", "flag " + std::to_string(bit));
  }
  auto b = bytes;
  b[entry + 38] |= 0x10;  // DOS directory attribute
  expect_rejected(b, "marked as a directory", "directory attribute");
  // A zip64 end record of 0 entries: miniz believes it over the classic record.
  b = bytes;
  for (size_t k = 0; k < 16; ++k) b[zip64 + 24 + k] = 0;
  expect_rejected(b, "holds no records", "zip64 record without entries");
  // A zip64 locator that points elsewhere than the record before it.
  b = bytes;
  b[find_last("PK\x06\x07") + 8] ^= 0x01;
  expect_rejected(b, "zip64", "zip64 locator moved");
}
