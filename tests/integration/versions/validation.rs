//! The model's constraints on every member of the version operations, at their boundaries, and that a
//! refused request changes nothing.

use serde_json::{json, Value};

use super::{aliases, version_numbers};
use crate::common::cases::{check_raw, invalid, Expected, Failures};
use crate::common::{create_image, strings, Server, BASE_IMAGE};

const CREATE: &str = "CreateImageVersion";
const UPDATE: &str = "UpdateImageVersion";
const DESCRIBE: &str = "DescribeImageVersion";

const ACCEPTED: Expected = Expected::Accepted;
const PATTERN: &str = "Member must satisfy regular expression pattern";
const AT_LEAST_1: &str = "Member must have length greater than or equal to 1";
const JOB_TYPES: &str =
    "Member must satisfy enum value set: [TRAINING, INFERENCE, NOTEBOOK_KERNEL]";

/// The body of `operation` on image "cons" (version 1 for an update): its required members, with a
/// ClientToken of its own for every create, then `members` over them; a null member is left out.
fn body(operation: &str, case: usize, members: &Value) -> Value {
    let mut body = match operation {
        CREATE => {
            json!({"ImageName": "cons", "BaseImage": BASE_IMAGE, "ClientToken": format!("token-{case}")})
        }
        UPDATE => json!({"ImageName": "cons", "Version": 1}),
        _ => json!({"ImageName": "cons"}),
    };
    for (member, value) in members.as_object().into_iter().flatten() {
        match value {
            Value::Null => body.as_object_mut().map(|body| body.remove(member)),
            value => body
                .as_object_mut()
                .map(|body| body.insert(member.clone(), value.clone())),
        };
    }
    body
}

#[tokio::test]
async fn members_are_checked_against_the_model() {
    let server = Server::start();
    let client = server.client();
    create_image(&client, "cons").await;

    // Version 1 is the first accepted create; the update and describe cases address it.
    #[rustfmt::skip]
    let cases = [
        // Aliases: 1..128 characters of (?!^[.-])^([a-zA-Z0-9-_.]+).
        ("alias of letters, digits, . - _", CREATE, json!({"Aliases": ["v1.0-beta_2"]}), ACCEPTED),
        ("alias of 128 characters", CREATE, json!({"Aliases": ["a".repeat(128)]}), ACCEPTED),
        ("alias of 1 character", CREATE, json!({"Aliases": ["x"]}), ACCEPTED),
        ("alias of 129 characters", CREATE, json!({"Aliases": ["b".repeat(129)]}),
            invalid(&["Member must have length less than or equal to 128", "'aliases.1.member'"])),
        ("alias starting with -", CREATE, json!({"Aliases": ["-x"]}), invalid(&[PATTERN, "'aliases.1.member'"])),
        ("alias starting with .", CREATE, json!({"Aliases": [".x"]}), invalid(&[PATTERN, "'aliases.1.member'"])),
        ("alias with a space", CREATE, json!({"Aliases": ["a b"]}), invalid(&[PATTERN, "'aliases.1.member'"])),
        ("empty alias", CREATE, json!({"Aliases": [""]}), invalid(&[AT_LEAST_1, "'aliases.1.member'"])),
        // The same constraint holds wherever an alias is given.
        ("AliasesToAdd starting with -", UPDATE, json!({"AliasesToAdd": ["-x"]}), invalid(&["'aliasesToAdd.1.member'"])),
        ("Alias starting with .", DESCRIBE, json!({"Alias": ".x"}), invalid(&["'alias'"])),
        // BaseImage: 1..255.
        ("BaseImage of 255 characters", CREATE, json!({"BaseImage": "i".repeat(255)}), ACCEPTED),
        ("BaseImage of 256 characters", CREATE, json!({"BaseImage": "i".repeat(256)}),
            invalid(&["Member must have length less than or equal to 255", "'baseImage'"])),
        ("empty BaseImage", CREATE, json!({"BaseImage": ""}), invalid(&[AT_LEAST_1, "'baseImage'"])),
        ("no BaseImage", CREATE, json!({"BaseImage": null}), invalid(&["Value null at 'baseImage'"])),
        // ClientToken: 1..36 of [a-zA-Z0-9-]+.
        ("ClientToken of 36 characters", CREATE, json!({"ClientToken": "t".repeat(36)}), ACCEPTED),
        ("ClientToken of 37 characters", CREATE, json!({"ClientToken": "t".repeat(37)}),
            invalid(&["Member must have length less than or equal to 36", "'clientToken'"])),
        ("ClientToken with _", CREATE, json!({"ClientToken": "a_b"}), invalid(&[PATTERN, "'clientToken'"])),
        // MLFramework and ProgrammingLang: [a-zA-Z]+ ?\d+\.\d+(\.\d+)?
        ("framework and language, two numbers", CREATE,
            json!({"MLFramework": "PyTorch 2.1", "ProgrammingLang": "Python3.10"}), ACCEPTED),
        ("framework and language, three numbers", CREATE,
            json!({"MLFramework": "TensorFlow2.14.1", "ProgrammingLang": "Python 3.11.4"}), ACCEPTED),
        ("MLFramework without a version", CREATE, json!({"MLFramework": "python"}), invalid(&[PATTERN, "'mLFramework'"])),
        ("MLFramework with one number", CREATE, json!({"MLFramework": "Python 3"}), invalid(&[PATTERN, "'mLFramework'"])),
        ("MLFramework with two spaces", CREATE, json!({"MLFramework": "Python  3.1"}), invalid(&[PATTERN, "'mLFramework'"])),
        ("ProgrammingLang without a version", CREATE, json!({"ProgrammingLang": "python"}),
            invalid(&[PATTERN, "'programmingLang'"])),
        ("ProgrammingLang with one number", CREATE, json!({"ProgrammingLang": "Python 3"}),
            invalid(&[PATTERN, "'programmingLang'"])),
        ("ProgrammingLang with two spaces", CREATE, json!({"ProgrammingLang": "Python  3.1"}),
            invalid(&[PATTERN, "'programmingLang'"])),
        // Enumerations.
        ("JobType not in the model", CREATE, json!({"JobType": "BATCH"}), invalid(&[JOB_TYPES])),
        ("Processor not in the model", CREATE, json!({"Processor": "TPU"}),
            invalid(&["Member must satisfy enum value set: [CPU, GPU]"])),
        ("VendorGuidance not in the model", CREATE, json!({"VendorGuidance": "BETA"}),
            invalid(&["Member must satisfy enum value set: [NOT_PROVIDED, STABLE, TO_BE_ARCHIVED, ARCHIVED]"])),
        ("JobType in lower case", CREATE, json!({"JobType": "training"}), invalid(&[JOB_TYPES])),
        ("every enumeration with a value of the model", CREATE,
            json!({"JobType": "NOTEBOOK_KERNEL", "Processor": "GPU", "VendorGuidance": "TO_BE_ARCHIVED"}), ACCEPTED),
        // Horovod is a boolean.
        ("Horovod as a string", CREATE, json!({"Horovod": "true"}), Expected::Refused("SerializationException", &[])),
        ("Horovod as a boolean", CREATE, json!({"Horovod": true}), ACCEPTED),
        // UpdateImageVersion checks the same members.
        ("update with a JobType not in the model", UPDATE, json!({"JobType": "BATCH"}),
            invalid(&["failed to satisfy constraint"])),
        ("update with an MLFramework without a version", UPDATE, json!({"MLFramework": "python"}),
            invalid(&["failed to satisfy constraint"])),
        ("update with empty ReleaseNotes", UPDATE, json!({"ReleaseNotes": ""}),
            invalid(&["failed to satisfy constraint"])),
    ];

    let mut failures = Failures::default();
    let mut created = 0;
    for (number, (name, operation, members, expected)) in cases.iter().enumerate() {
        let answer = server
            .raw()
            .call(operation, &body(operation, number, members))
            .await;
        failures.check(name, check_raw(&answer, *expected));
        if *operation == CREATE && matches!(expected, Expected::Accepted) {
            created += 1;
        }
    }

    // Only the accepted requests made versions, numbered without gaps; refused updates changed nothing.
    failures.compare(
        "versions made",
        version_numbers(&client, "cons").await,
        (1..=created).collect(),
    );
    failures.compare(
        "aliases of version 1",
        aliases(&client, "cons", Some(1), None).await,
        strings(&["v1.0-beta_2"]),
    );
    let described = client
        .describe_image_version()
        .image_name("cons")
        .version(1)
        .send()
        .await
        .expect("describe 1");
    failures.compare("JobType of version 1", described.job_type(), None);
    failures.compare("MLFramework of version 1", described.ml_framework(), None);
    failures.compare("ReleaseNotes of version 1", described.release_notes(), None);
    failures.assert_none();
}
