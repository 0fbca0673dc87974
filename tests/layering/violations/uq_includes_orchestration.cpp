// Must NOT compile: uq may not see the orchestration above it.
#include <kyper/builtin_trial.hpp>
