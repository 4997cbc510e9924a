//! The aws-sdk-rust snippet of the README, kept compiling by `cargo test`.
//! Run it against a server started with `cargo run --release -- serve`:
//! `cargo run --example quickstart`.

use aws_sdk_sagemaker::config::{BehaviorVersion, Credentials, Region};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = aws_sdk_sagemaker::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url("http://127.0.0.1:7447")
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "local"))
        .build();
    let client = aws_sdk_sagemaker::Client::from_conf(config);

    client
        .create_image()
        .image_name("my-kernel")
        .role_arn("arn:aws:iam::123456789012:role/SageMakerRole")
        .send()
        .await?;
    let updated = client
        .update_image()
        .image_name("my-kernel")
        .display_name("My kernel")
        .send()
        .await?;
    println!("updated {}", updated.image_arn().unwrap_or_default());
    let image = client
        .describe_image()
        .image_name("my-kernel")
        .send()
        .await?;
    println!("{:?} {:?}", image.display_name(), image.image_status());
    client.delete_image().image_name("my-kernel").send().await?;
    Ok(())
}
