//! Fuzz target `body`: see `sagemaker_images::protocol::fuzz` for the input format and the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sagemaker_images::protocol::fuzz::body(data);
});
