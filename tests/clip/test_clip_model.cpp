// The public ClipModel API end to end (text strings through the tokenizer, image files through
// preprocessing), normalize(), concurrency, runtime settings and version facts.
#include <torch/cuda.h>

#include <thread>

#include "clip_test_util.hpp"
#include "lincir/version.hpp"

using namespace lincir;
using namespace lincir::test;

namespace {
constexpr float kTol = 1e-4f;
}

TEST(ClipModel, EncodeTextFromStrings) {
  const auto cases = read_json(parity("text_cases.json"));
  std::vector<std::string> texts;
  for (const auto& t : cases["texts"]) texts.push_back(t.get<std::string>());
  ASSERT_EQ(texts.size(), 24u);
  const Embeddings f = parity_model().encode_text(texts);
  EXPECT_LE(max_abs(to_tensor(f), fixture_tensor(text_outputs(), "text_features")), kTol);
  EXPECT_EQ(parity_model().encode_text({}).rows(), 0);
}

TEST(ClipModel, EncodeImagesFromPngFiles) {
  const auto cases = read_json(parity("image_cases.json"));
  std::vector<Image> images;
  for (const auto& name : cases["png_batch_order"])
    images.push_back(Image::load(parity("images/" + name.get<std::string>() + ".png")));
  ASSERT_EQ(images.size(), 9u);
  const Embeddings openai = parity_model().encode_images(images, PreprocessMode::openai);
  EXPECT_LE(max_abs(to_tensor(openai), fixture_tensor(image_outputs(), "png_batch.image_features")),
            kTol);
  const Embeddings hf = parity_model().encode_images(images, PreprocessMode::hf);
  EXPECT_LE(
      max_abs(to_tensor(hf), fixture_tensor(image_outputs(), "png_batch_hfproc.image_features")),
      kTol);
}

TEST(ClipModel, ChunkedBatchesEqualOneBatch) {
  ClipLoadOptions opt;
  opt.config_path = parity("model_config.json");
  opt.batch_size = 4;  // 24 texts -> 6 chunks, 9 images -> 3 chunks
  const ClipModel m = ClipModel::load(parity("weights_openai.safetensors"), opt);
  const std::vector<int64_t> ids64 = text_outputs().to_int64("tokens");
  const std::vector<int32_t> ids(ids64.begin(), ids64.end());
  EXPECT_LE(max_abs(to_tensor(m.encode_tokens(ids.data(), 24, 77)),
                    fixture_tensor(text_outputs(), "text_features")),
            kTol);
  const std::vector<float> px = image_outputs().to_float("png_batch.pixel_values");
  EXPECT_LE(max_abs(to_tensor(m.encode_pixels(px.data(), 9)),
                    fixture_tensor(image_outputs(), "png_batch.image_features")),
            kTol);
}

TEST(ClipModel, ShorterContextEqualsZeroPadding) {
  // "a photo of a cat" needs 7 positions; the rest of the 77 are zero padding.
  const std::vector<int64_t> ids64 = text_outputs().to_int64("debug.tokens");
  const std::vector<int32_t> ids(ids64.begin(), ids64.begin() + 10);
  const Embeddings f = parity_model().encode_tokens(ids.data(), 1, 10);
  EXPECT_LE(max_abs(to_tensor(f), fixture_tensor(text_outputs(), "debug.text_features")), kTol);
}

TEST(ClipModel, BadArgumentsThrow) {
  const ClipModel& m = parity_model();
  std::vector<int32_t> ids(77, 0);
  ids[0] = 49406;
  ids[1] = 49408;  // out of the vocabulary
  std::string msg;
  EXPECT_EQ(error_of([&] { m.encode_tokens(ids.data(), 1, 77); }, &msg), Status::invalid_argument);
  EXPECT_NE(msg.find("49408"), std::string::npos) << msg;
  EXPECT_NE(msg.find("position 1"), std::string::npos) << msg;
  ids[1] = -3;
  EXPECT_EQ(error_of([&] { m.encode_tokens(ids.data(), 1, 77); }), Status::invalid_argument);
  ids[1] = 1;
  EXPECT_EQ(error_of([&] { m.encode_tokens(ids.data(), 1, 78); }), Status::invalid_argument);
  EXPECT_EQ(error_of([&] { m.encode_tokens(ids.data(), 1, 0); }), Status::invalid_argument);
  EXPECT_EQ(error_of([&] { m.encode_tokens(nullptr, 1, 77); }), Status::invalid_argument);
  EXPECT_EQ(error_of([&] { m.encode_tokens(ids.data(), -1, 77); }), Status::invalid_argument);
  EXPECT_EQ(error_of([&] { m.encode_pixels(nullptr, 2); }), Status::invalid_argument);
  EXPECT_EQ(m.encode_tokens(nullptr, 0, 77).rows(), 0);
  EXPECT_EQ(m.encode_pixels(nullptr, 0).rows(), 0);
  EXPECT_EQ(m.encode_pixels(nullptr, 0).cols(), 64);
}

TEST(ClipModel, NormalizeRows) {
  Embeddings x(3, 2);
  x << 3, 4, 0, 0, -1e-3f, 0;
  const Embeddings n = normalize(x);
  EXPECT_FLOAT_EQ(n(0, 0), 0.6f);
  EXPECT_FLOAT_EQ(n(0, 1), 0.8f);
  EXPECT_EQ(n(1, 0), 0.f);  // zero rows stay zero
  EXPECT_EQ(n(1, 1), 0.f);
  EXPECT_FLOAT_EQ(n(2, 0), -1.f);
  // LinCIR's normalised query features.
  const SafeTensors st = SafeTensors::open(parity("lincir_outputs.safetensors"));
  const std::vector<float> f = st.to_float("text_features"),
                           fn = st.to_float("text_features_normalized");
  const Embeddings e = Eigen::Map<const Embeddings>(f.data(), 7, 64);
  const Embeddings en = normalize(e);
  EXPECT_LE(max_abs_diff(en.data(), fn.data(), fn.size()), 1e-6f);
}

TEST(ClipModel, ConcurrentEncodingIsConsistent) {
  const ClipModel m = parity_model();  // copies share the weights
  const std::vector<int64_t> ids64 = text_outputs().to_int64("tokens");
  const std::vector<int32_t> ids(ids64.begin(), ids64.end());
  const std::vector<float> px = image_outputs().to_float("png_batch.pixel_values");
  const Embeddings t0 = m.encode_tokens(ids.data(), 24, 77), i0 = m.encode_pixels(px.data(), 9);
  std::vector<float> worst(4, 0.f);
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (int r = 0; r < 5; ++r) {
        const Embeddings t = m.encode_tokens(ids.data(), 24, 77), i = m.encode_pixels(px.data(), 9);
        worst[k] =
            std::max({worst[k], (t - t0).cwiseAbs().maxCoeff(), (i - i0).cwiseAbs().maxCoeff()});
      }
    });
  }
  for (auto& t : threads) t.join();
  for (float w : worst) EXPECT_LE(w, 1e-6f);
}

TEST(ClipModel, TowersAccessorsShareTheModel) {
  const ClipModel& m = parity_model();
  EXPECT_EQ(&lincir::detail::towers(m), lincir::detail::shared_towers(m).get());
  std::shared_ptr<const lincir::detail::ClipTowers> keep;
  {
    ClipLoadOptions opt;
    opt.config_path = parity("model_config.json");
    keep =
        lincir::detail::shared_towers(ClipModel::load(parity("weights_openai.safetensors"), opt));
  }
  // The towers outlive the model they came from.
  torch::NoGradGuard ng;
  const torch::Tensor f = keep->encode_text(fixture_tensor(text_outputs(), "debug.tokens"));
  EXPECT_LE(max_abs(f, fixture_tensor(text_outputs(), "debug.text_features")), kTol);
  EXPECT_EQ(m.tokenizer().vocab_size(), 49408);
}

TEST(Runtime, ThreadsAndVersion) {
  const int before = num_threads();
  set_num_threads(2);
  EXPECT_EQ(num_threads(), 2);
  set_num_threads(0);
  EXPECT_GE(num_threads(), 1);
  EXPECT_EQ(num_threads(), static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  EXPECT_THROW(set_num_threads(-1), Error);
  set_num_threads(before);
  EXPECT_STREQ(version_string(), LINCIR_VERSION_STRING);
  const std::string info = build_info();
  EXPECT_NE(info.find("LibTorch 1."), std::string::npos) << info;
  EXPECT_NE(info.find(LINCIR_VERSION_STRING), std::string::npos) << info;
  EXPECT_EQ(cuda_available(), torch::cuda::is_available());
}
