//! Fuzz target `authorization`: see `sagemaker_images::auth::fuzz` for the input format and the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sagemaker_images::auth::fuzz::authorization(data);
});
