// Precompiled header for the components that use LibTorch (never included by public headers).
#pragma once
#include <ATen/ATen.h>
#include <torch/nn/functional.h>
#include <torch/types.h>
