//! wxemu: a local emulator of the WeChat Official Account API.
