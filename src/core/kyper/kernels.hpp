// The training core's view of the kernels layer. The kernels live in kyper::kernels; the core
// speaks their vocabulary (Activation, Loss, OptimizerKind, MatrixView, ...) as kyper:: names,
// so users of the core write kyper::Activation::Relu and never need the kernels' namespace.
#pragma once

#include <kyper/kernels/activation.hpp>
#include <kyper/kernels/dense.hpp>
#include <kyper/kernels/loss.hpp>
#include <kyper/kernels/merge.hpp>
#include <kyper/kernels/optimizer.hpp>
#include <kyper/kernels/recurrent.hpp>
#include <kyper/kernels/types.hpp>

namespace kyper {
using namespace kyper::kernels;
}  // namespace kyper
