// Must NOT compile: the search layer may not see the training core.
#include <kyper/model.hpp>
