//! The loop that decides *when* each job fires. (Filled in by the clock-process work.)
