# Third-party dependencies, all from Debian packages (see scripts/bootstrap).
find_package(Torch REQUIRED)          # libtorch-dev, or an official LibTorch via CMAKE_PREFIX_PATH
find_package(Eigen3 3.3 REQUIRED NO_MODULE)
find_package(nlohmann_json 3 REQUIRED)
find_package(ZLIB REQUIRED)
find_package(ICU REQUIRED COMPONENTS uc i18n)
find_package(Threads REQUIRED)

find_path(STB_INCLUDE_DIR stb_image.h PATH_SUFFIXES stb REQUIRED)

set(LINCIR_HAVE_FAISS OFF)
if(LINCIR_WITH_FAISS)
  find_package(faiss QUIET)
  if(faiss_FOUND)  # its exported target links OpenMP::OpenMP_CXX but does not find OpenMP
    find_package(OpenMP QUIET COMPONENTS CXX)
  endif()
  if(faiss_FOUND AND TARGET OpenMP::OpenMP_CXX)
    set(LINCIR_HAVE_FAISS ON)
  else()
    message(STATUS "lincir: faiss not found, the faiss gallery backend is disabled")
  endif()
endif()

# Torch's imported targets carry -D_GLIBCXX_USE_CXX11_ABI; everything we build must agree.
if(TORCH_CXX_FLAGS)
  string(REGEX MATCH "_GLIBCXX_USE_CXX11_ABI=([01])" _abi "${TORCH_CXX_FLAGS}")
  if(_abi)
    add_compile_definitions(_GLIBCXX_USE_CXX11_ABI=${CMAKE_MATCH_1})
  endif()
endif()
