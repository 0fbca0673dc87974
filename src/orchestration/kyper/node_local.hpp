// What a process knows of its node: its node-local rank (from the MPI launcher's environment) and
// the GPUs the node shows it. The scheduler puts both in every TrialContext; command trials
// export them (KYPER_LOCAL_RANK, KYPER_DEVICE) and can give each rank one GPU.
#pragma once

#include <string>
#include <vector>

namespace kyper {

// The node-local rank the launcher exported (Open MPI, MPICH/Hydra, PMI, Slurm, PALS), or
// `fallback` (e.g. the MPI rank: right on one node) when none did.
int node_local_rank(int fallback);

// The GPUs this process may use, as the identifiers CUDA_VISIBLE_DEVICES / HIP_VISIBLE_DEVICES
// take: the entries of CUDA_VISIBLE_DEVICES, HIP_VISIBLE_DEVICES or ROCR_VISIBLE_DEVICES when one
// is set, else "0".."n-1" for the NVIDIA (/dev/nvidia<N>) or AMD (/sys/class/kfd) GPUs of the node;
// empty on a node without GPUs. Read once.
const std::vector<std::string>& node_gpus();

// The device of a node-local rank: local_rank modulo the GPUs, or -1 without GPUs.
inline int node_device(int local_rank, int gpus) { return gpus > 0 ? local_rank % gpus : -1; }

}  // namespace kyper
