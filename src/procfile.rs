//! The Procfile's `clock:` entry. (Filled in by the buildpack work.)
