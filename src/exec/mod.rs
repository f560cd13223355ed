//! What a run does: spawn `bash -c COMMAND` in its own process group, stream its output,
//! enforce its timeout and kill its whole tree. (Filled in by the clock-process work.)
