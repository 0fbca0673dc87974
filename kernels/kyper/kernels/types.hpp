// View types shared by the kernels: row-major matrices and vectors in an execution space's memory.
// Kernels take unmanaged views so callers can hand them slices of one flat allocation.
#pragma once

#include <Kokkos_Core.hpp>

namespace kyper::kernels {

template <class ExecSpace>
using DeviceOf = Kokkos::Device<ExecSpace, typename ExecSpace::memory_space>;

template <class Scalar, class ExecSpace>
using MatrixView = Kokkos::View<Scalar**, Kokkos::LayoutRight, DeviceOf<ExecSpace>,
                                Kokkos::MemoryTraits<Kokkos::Unmanaged>>;

template <class Scalar, class ExecSpace>
using VectorView = Kokkos::View<Scalar*, DeviceOf<ExecSpace>, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;

// A device-resident scalar: reductions land here so the host never waits inside a training step.
template <class Scalar, class ExecSpace>
using DeviceScalar = Kokkos::View<Scalar, DeviceOf<ExecSpace>>;

// Whether ExecSpace runs on a host (its memory is host-accessible): host loops give a work item a
// row or a chunk with a SIMD loop, GPU kernels an element per thread (coalesced).
template <class ExecSpace>
KOKKOS_INLINE_FUNCTION constexpr bool runs_on_host() {
  return Kokkos::SpaceAccessibility<Kokkos::HostSpace, typename ExecSpace::memory_space>::accessible;
}

template <class ExecSpace>
using RangeOf = Kokkos::RangePolicy<ExecSpace, Kokkos::IndexType<long>>;

}  // namespace kyper::kernels
