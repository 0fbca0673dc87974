// Must NOT compile: the training core may not see the search layer.
#include <kyper/search/space.hpp>
