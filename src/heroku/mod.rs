//! The Heroku Platform API client. (Filled in by the scale/status work.)
