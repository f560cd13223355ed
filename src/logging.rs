//! Heroku-style log lines (logfmt, or JSON). (Filled in by the clock-process work.)
