//! UpdateImageVersion changes the members it names and LastModifiedTime, nothing else.

use std::time::Duration;

use aws_sdk_sagemaker::operation::describe_image_version::DescribeImageVersionOutput;
use aws_sdk_sagemaker::types::{JobType, Processor, VendorGuidance};

use crate::common::cases::{check_sdk, not_found, Failures};
use crate::common::{create_image, create_version, version_arn, Server, BASE_IMAGE};

/// The members of a version that UpdateImageVersion may change.
#[derive(Debug, PartialEq)]
struct Metadata<'a> {
    job_type: Option<&'a JobType>,
    processor: Option<&'a Processor>,
    ml_framework: Option<&'a str>,
    programming_lang: Option<&'a str>,
    release_notes: Option<&'a str>,
    vendor_guidance: Option<&'a VendorGuidance>,
    horovod: Option<bool>,
}

impl<'a> Metadata<'a> {
    fn of(version: &'a DescribeImageVersionOutput) -> Metadata<'a> {
        Metadata {
            job_type: version.job_type(),
            processor: version.processor(),
            ml_framework: version.ml_framework(),
            programming_lang: version.programming_lang(),
            release_notes: version.release_notes(),
            vendor_guidance: version.vendor_guidance(),
            horovod: version.horovod(),
        }
    }
}

#[tokio::test]
async fn update_changes_only_what_it_names() {
    let server = Server::start();
    let client = server.client();
    create_image(&client, "upd").await;
    client
        .create_image_version()
        .image_name("upd")
        .base_image(BASE_IMAGE)
        .job_type(JobType::Training)
        .processor(Processor::Cpu)
        .ml_framework("PyTorch 2.1")
        .programming_lang("Python 3.10")
        .release_notes("first")
        .vendor_guidance(VendorGuidance::Stable)
        .horovod(false)
        .send()
        .await
        .expect("create");
    let describe = || {
        client
            .describe_image_version()
            .image_name("upd")
            .version(1)
            .send()
    };
    let before = describe().await.expect("describe");
    let created = Metadata {
        job_type: Some(&JobType::Training),
        processor: Some(&Processor::Cpu),
        ml_framework: Some("PyTorch 2.1"),
        programming_lang: Some("Python 3.10"),
        release_notes: Some("first"),
        vendor_guidance: Some(&VendorGuidance::Stable),
        horovod: Some(false),
    };
    assert_eq!(Metadata::of(&before), created);
    assert_eq!(before.creation_time(), before.last_modified_time());

    tokio::time::sleep(Duration::from_millis(20)).await;
    let answer = client
        .update_image_version()
        .image_name("upd")
        .version(1)
        .job_type(JobType::Inference)
        .send()
        .await
        .expect("update job type");
    assert_eq!(
        answer.image_version_arn(),
        Some(version_arn("upd", 1).as_str())
    );
    let after = describe().await.expect("describe");
    let job_type_changed = Metadata {
        job_type: Some(&JobType::Inference),
        ..created
    };
    assert_eq!(Metadata::of(&after), job_type_changed);
    assert_eq!(after.base_image(), Some(BASE_IMAGE));
    assert_eq!(after.creation_time(), before.creation_time());
    assert!(
        after.last_modified_time() > before.last_modified_time(),
        "{:?} then {:?}",
        before.last_modified_time(),
        after.last_modified_time()
    );

    tokio::time::sleep(Duration::from_millis(20)).await;
    client
        .update_image_version()
        .image_name("upd")
        .version(1)
        .processor(Processor::Gpu)
        .ml_framework("TensorFlow 2.14.1")
        .programming_lang("Python 3.11")
        .release_notes("second")
        .vendor_guidance(VendorGuidance::Archived)
        .horovod(true)
        .send()
        .await
        .expect("update the rest");
    let last = describe().await.expect("describe");
    let the_rest_changed = Metadata {
        job_type: Some(&JobType::Inference),
        processor: Some(&Processor::Gpu),
        ml_framework: Some("TensorFlow 2.14.1"),
        programming_lang: Some("Python 3.11"),
        release_notes: Some("second"),
        vendor_guidance: Some(&VendorGuidance::Archived),
        horovod: Some(true),
    };
    assert_eq!(Metadata::of(&last), the_rest_changed);
    assert_eq!(last.creation_time(), before.creation_time());
    assert!(last.last_modified_time() > after.last_modified_time());

    // A version without metadata describes none.
    create_version(&client, "upd", &[]).await;
    let bare = client
        .describe_image_version()
        .image_name("upd")
        .version(2)
        .send()
        .await
        .expect("describe 2");
    assert_eq!(bare.job_type(), None);
    assert_eq!(bare.horovod(), None);
    assert_eq!(bare.release_notes(), None);
}

#[tokio::test]
async fn update_of_what_does_not_exist_is_not_found() {
    let server = Server::start();
    let client = server.client();
    create_image(&client, "upd").await;
    create_version(&client, "upd", &[]).await;
    let mut failures = Failures::default();
    for (name, image, version, expected) in [
        (
            "a version the image lacks",
            "upd",
            7,
            not_found(&["does not exist"]),
        ),
        ("an image that does not exist", "nosuch", 1, not_found(&[])),
    ] {
        let result = client
            .update_image_version()
            .image_name(image)
            .version(version)
            .release_notes("x")
            .send()
            .await;
        failures.check(name, check_sdk(&result, expected));
    }
    failures.assert_none();
}
