//! Fuzz target `token`: see `sagemaker_images::domain::paging::fuzz` for the input format and the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sagemaker_images::domain::paging::fuzz::token(data);
});
